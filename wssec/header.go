package wssec

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

// Namespaces (SOAP 1.2, ebMS3, OASIS WSS 1.0/1.1) and token URIs
// (WSS X.509 Token Profile 1.1.1 §3.1, SOAP Message Security 1.1.1 §7.3).
const (
	NamespaceSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
	NamespaceEBMS   = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"
	NamespaceWSSE   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	NamespaceWSSE11 = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
	NamespaceWSU    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

	ValueTypeX509v3       = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
	EncodingBase64        = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
	TokenTypeEncryptedKey = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKey"
)

// envelope is the located structure of a SOAP 1.2 envelope: exactly one
// Header and one Body as children of Envelope, exactly one eb:Messaging in
// the whole document and it a child of Header.
type envelope struct {
	root, header, body, messaging *xmltree.Element
}

func locate(doc *xmltree.Document) (*envelope, error) {
	if doc == nil || doc.Root == nil || !doc.Root.Is(NamespaceSOAP12, "Envelope") {
		return nil, fmt.Errorf("not a SOAP 1.2 Envelope")
	}
	e := &envelope{root: doc.Root}
	hs := doc.Root.ChildrenNamed(NamespaceSOAP12, "Header")
	bs := doc.Root.ChildrenNamed(NamespaceSOAP12, "Body")
	if len(hs) != 1 || len(bs) != 1 {
		return nil, fmt.Errorf("the Envelope has %d Header and %d Body elements (one each required)", len(hs), len(bs))
	}
	e.header, e.body = hs[0], bs[0]
	var all []*xmltree.Element
	doc.Root.Walk(func(x *xmltree.Element) bool {
		if x.Is(NamespaceEBMS, "Messaging") {
			all = append(all, x)
		}
		return true
	})
	if len(all) != 1 || all[0].Parent() != e.header {
		return nil, fmt.Errorf("the message has %d eb:Messaging elements (exactly one, in the SOAP Header, required)", len(all))
	}
	e.messaging = all[0]
	return e, nil
}

func newID(r io.Reader, prefix string) (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(b), nil
}

func defaultRand(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// wsuID returns the wsu:Id of e, adding one when absent.
func wsuID(e *xmltree.Element, r io.Reader, prefix string) (string, error) {
	if id, ok := e.AttrValue(NamespaceWSU, "Id"); ok && id != "" {
		return id, nil
	}
	id, err := newID(r, prefix)
	if err != nil {
		return "", err
	}
	e.SetAttr(NamespaceWSU, "wsu", "Id", id)
	return id, nil
}

// survey is what Process counts and indexes in one walk of the envelope:
// its wsse:Security and ds:Signature elements wherever they are, and ids,
// every wsu:Id and unqualified Id value mapped to the elements that carry
// it. Duplicate values are kept so that a reference to one is refused
// (signature wrapping by duplicated Ids).
type survey struct {
	securities, signatures int
	ids                    map[string][]*xmltree.Element
}

func surveyOf(root *xmltree.Element) survey {
	s := survey{ids: map[string][]*xmltree.Element{}}
	root.Walk(func(x *xmltree.Element) bool {
		switch {
		case x.Is(NamespaceWSSE, "Security"):
			s.securities++
		case x.Is(xmldsig.Namespace, "Signature"):
			s.signatures++
		}
		seen := ""
		for _, a := range x.Attr {
			if a.Local == "Id" && (a.Space == NamespaceWSU || a.Space == "") {
				if a.Value == seen {
					continue
				}
				seen = a.Value
				s.ids[a.Value] = append(s.ids[a.Value], x)
			}
		}
		return true
	})
	return s
}
