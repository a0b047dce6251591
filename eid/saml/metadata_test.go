package saml

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

// nodeMetadataXML writes the signed metadata of a test node.
func nodeMetadataXML(tb testing.TB, n *testNode, signer crypto.Signer, entityID string, validUntil time.Time) []byte {
	tb.Helper()
	ed := xmltree.NewElement(NSMetadata, "md", "EntityDescriptor")
	ed.DeclareNS("md", NSMetadata)
	ed.DeclareNS("ds", xmldsig.Namespace)
	id := "_m" + randomID()
	ed.SetAttr("", "", "ID", id)
	ed.SetAttr("", "", "entityID", entityID)
	ed.SetAttr("", "", "validUntil", validUntil.UTC().Format(timeFormat))
	idp := ed.AddElement(NSMetadata, "md", "IDPSSODescriptor")
	idp.SetAttr("", "", "protocolSupportEnumeration", NSProtocol)
	kd := idp.AddElement(NSMetadata, "md", "KeyDescriptor")
	kd.SetAttr("", "", "use", "signing")
	kd.AddElement(xmldsig.Namespace, "ds", "KeyInfo").AddElement(xmldsig.Namespace, "ds", "X509Data").
		AddElement(xmldsig.Namespace, "ds", "X509Certificate").SetText(base64.StdEncoding.EncodeToString(n.cert.Raw))
	for _, b := range []Binding{Redirect, POST} {
		sso := idp.AddElement(NSMetadata, "md", "SingleSignOnService")
		sso.SetAttr("", "", "Binding", string(b))
		sso.SetAttr("", "", "Location", "https://eidas.be.example/sso/"+map[Binding]string{POST: "post", Redirect: "redirect"}[b])
	}
	sg := xmldsig.Signer{Key: signer, Method: xmldsig.ECDSASHA256, Rand: rand.Reader}
	sig, err := sg.SignEnvelopedID(ed, id)
	if err != nil {
		tb.Fatal(err)
	}
	ed.InsertChild(0, sig)
	var buf bytes.Buffer
	if err := xmltree.WriteElement(&buf, ed, xmltree.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// metadataServer serves body and counts the fetches.
type metadataServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	fetches int
}

func newMetadataServer(t *testing.T, body []byte) *metadataServer {
	m := &metadataServer{body: body}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.fetches++
		w.Write(m.body)
	}))
	t.Cleanup(m.Close)
	return m
}

func TestNodeMetadata(t *testing.T) {
	testKeys(t)
	now := time.Now()
	clock := now
	good := nodeMetadataXML(t, &nodeBE, nodeBE.key, nodeBE.entityID, now.Add(48*time.Hour))
	srv := newMetadataServer(t, good)
	a := newTestSP(t, func(c *Config) {
		c.Nodes = map[string]Node{"BE": {EntityID: nodeBE.entityID, MetadataURL: srv.URL, Anchor: nodeBE.cert}}
		c.Now = func() time.Time { return clock }
	})
	md, err := a.nodeMeta(context.Background(), "BE")
	if err != nil {
		t.Fatal(err)
	}
	if md.ssoURL != "https://eidas.be.example/sso/post" || md.binding != POST || len(md.certs) != 1 || !md.certs[0].Equal(nodeBE.cert) {
		t.Errorf("metadata %+v", md)
	}
	// Cached, then fetched again after MetadataRefresh.
	a.nodeMeta(context.Background(), "BE")
	if srv.fetches != 1 {
		t.Errorf("%d fetches, want 1 (cached)", srv.fetches)
	}
	clock = now.Add(DefaultMetadataRefresh + time.Second)
	if _, err := a.nodeMeta(context.Background(), "BE"); err != nil {
		t.Fatal(err)
	}
	if srv.fetches != 2 {
		t.Errorf("%d fetches, want 2 (refreshed)", srv.fetches)
	}
	// The node unreachable: the metadata held is used within validUntil.
	srv.mu.Lock()
	srv.body = []byte("<broken")
	srv.mu.Unlock()
	clock = now.Add(2*DefaultMetadataRefresh + 2*time.Second)
	if _, err := a.nodeMeta(context.Background(), "BE"); err != nil {
		t.Errorf("a failed refresh dropped the metadata held: %v", err)
	}
	// ... and not beyond.
	clock = now.Add(49 * time.Hour)
	if _, err := a.nodeMeta(context.Background(), "BE"); err == nil {
		t.Error("metadata used beyond its validUntil")
	}
}

func TestNodeMetadataRefused(t *testing.T) {
	testKeys(t)
	now := time.Now()
	good := nodeMetadataXML(t, &nodeBE, nodeBE.key, nodeBE.entityID, now.Add(time.Hour))
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"signed by another key", nodeMetadataXML(t, &nodeBE, nodeFR.key, nodeBE.entityID, now.Add(time.Hour)), "signature"},
		{"another entity", nodeMetadataXML(t, &nodeBE, nodeBE.key, "https://other.example/metadata", now.Add(time.Hour)), "entityID"},
		{"expired", nodeMetadataXML(t, &nodeBE, nodeBE.key, nodeBE.entityID, now.Add(-time.Hour)), "valid until"},
		{"altered", bytes.Replace(good, []byte("sso/post"), []byte("sso/evil"), 1), "digest"},
		{"unsigned", regexpRemoveSignature(good), "not signed"},
		{"too large", append(good, bytes.Repeat([]byte(" "), DefaultMaxResponse)...), "octets"},
		{"DTD", append([]byte(`<!DOCTYPE x [<!ENTITY a "b">]>`), good...), "DTD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newMetadataServer(t, tc.body)
			a := newTestSP(t, func(c *Config) {
				c.Nodes = map[string]Node{"BE": {EntityID: nodeBE.entityID, MetadataURL: srv.URL, Anchor: nodeBE.cert}}
			})
			_, err := a.nodeMeta(context.Background(), "BE")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// aggregateXML writes an md:EntitiesDescriptor around the descriptors eds
// (written by nodeMetadataXML), the last of them inside a nested
// md:EntitiesDescriptor when nested, signed by signer unless it is nil.
func aggregateXML(tb testing.TB, signer crypto.Signer, validUntil time.Time, nested bool, eds ...[]byte) []byte {
	tb.Helper()
	agg := xmltree.NewElement(NSMetadata, "md", "EntitiesDescriptor")
	agg.DeclareNS("md", NSMetadata)
	agg.DeclareNS("ds", xmldsig.Namespace)
	id := "_a" + randomID()
	agg.SetAttr("", "", "ID", id)
	agg.SetAttr("", "", "Name", "urn:oots:test:federation")
	agg.SetAttr("", "", "validUntil", validUntil.UTC().Format(timeFormat))
	for i, b := range eds {
		doc, err := xmltree.ParseBytes(b, nil)
		if err != nil {
			tb.Fatal(err)
		}
		parent := agg
		if nested && i == len(eds)-1 {
			parent = agg.AddElement(NSMetadata, "md", "EntitiesDescriptor")
		}
		parent.AddChild(doc.Root)
	}
	if signer != nil {
		sg := xmldsig.Signer{Key: signer, Method: xmldsig.ECDSASHA256, Rand: rand.Reader}
		sig, err := sg.SignEnvelopedID(agg, id)
		if err != nil {
			tb.Fatal(err)
		}
		agg.InsertChild(0, sig)
	}
	var buf bytes.Buffer
	if err := xmltree.WriteElement(&buf, agg, xmltree.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestNodeMetadataAggregate: a node's metadata in an md:EntitiesDescriptor
// beside another entity's, at any depth, signed as a whole or on its own,
// is read as the node's own; the earliest validUntil around it holds.
func TestNodeMetadataAggregate(t *testing.T) {
	testKeys(t)
	now := time.Now()
	other := nodeMetadataXML(t, &nodeFR, nodeFR.key, "https://other.example/metadata", now.Add(48*time.Hour))
	for _, tc := range []struct {
		name  string
		body  []byte
		until time.Time
	}{
		{"signed as a whole", aggregateXML(t, nodeBE.key, now.Add(24*time.Hour), false, other,
			regexpRemoveSignature(nodeMetadataXML(t, &nodeBE, nodeBE.key, nodeBE.entityID, now.Add(48*time.Hour)))), now.Add(24 * time.Hour)},
		{"nested, signed as a whole", aggregateXML(t, nodeBE.key, now.Add(72*time.Hour), true, other,
			nodeMetadataXML(t, &nodeBE, nodeFR.key, nodeBE.entityID, now.Add(48*time.Hour))), now.Add(48 * time.Hour)},
		{"the node's signed, the aggregate not", aggregateXML(t, nil, now.Add(12*time.Hour), true, other,
			nodeMetadataXML(t, &nodeBE, nodeBE.key, nodeBE.entityID, now.Add(48*time.Hour))), now.Add(12 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md, err := parseNodeMetadata(tc.body, &Node{EntityID: nodeBE.entityID, Anchor: nodeBE.cert}, now, DefaultMaxResponse)
			if err != nil {
				t.Fatal(err)
			}
			if md.ssoURL != "https://eidas.be.example/sso/post" || len(md.certs) != 1 || !md.certs[0].Equal(nodeBE.cert) {
				t.Errorf("metadata %+v, want the node's", md)
			}
			if d := md.validUntil.Sub(tc.until); d > time.Millisecond || d < -time.Millisecond { // written in milliseconds
				t.Errorf("validUntil %s, want %s", md.validUntil, tc.until)
			}
		})
	}
}

// TestNodeMetadataAggregateRefused: an aggregate signed by another key,
// altered, with neither it nor the node's descriptor signed, without the
// node or with it twice, or past its validUntil, is refused.
func TestNodeMetadataAggregateRefused(t *testing.T) {
	testKeys(t)
	now := time.Now()
	be := nodeMetadataXML(t, &nodeBE, nodeBE.key, nodeBE.entityID, now.Add(48*time.Hour))
	beUnsigned := regexpRemoveSignature(be)
	other := nodeMetadataXML(t, &nodeFR, nodeFR.key, "https://other.example/metadata", now.Add(48*time.Hour))
	signed := aggregateXML(t, nodeBE.key, now.Add(24*time.Hour), false, other, beUnsigned)
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"signed by another key", aggregateXML(t, nodeFR.key, now.Add(24*time.Hour), false, other, beUnsigned), "signature"},
		{"altered", bytes.Replace(signed, []byte("sso/post"), []byte("sso/evil"), 1), "digest"},
		{"nothing signed", aggregateXML(t, nil, now.Add(24*time.Hour), false, other, beUnsigned), "neither"},
		{"the node's signed by another key", aggregateXML(t, nil, now.Add(24*time.Hour), false, other,
			nodeMetadataXML(t, &nodeBE, nodeFR.key, nodeBE.entityID, now.Add(48*time.Hour))), "signature"},
		{"only another entity's signed", aggregateXML(t, nil, now.Add(24*time.Hour), false,
			nodeMetadataXML(t, &nodeBE, nodeBE.key, "https://other.example/metadata", now.Add(48*time.Hour)), beUnsigned), "neither"},
		{"without the node", aggregateXML(t, nodeBE.key, now.Add(24*time.Hour), false, other), "no md:EntityDescriptor"},
		{"the node twice", aggregateXML(t, nodeBE.key, now.Add(24*time.Hour), true, beUnsigned, beUnsigned), "2 md:EntityDescriptor"},
		{"aggregate expired", aggregateXML(t, nodeBE.key, now.Add(-time.Hour), false, other, beUnsigned), "valid until"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseNodeMetadata(tc.body, &Node{EntityID: nodeBE.entityID, Anchor: nodeBE.cert}, now, DefaultMaxResponse)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func regexpRemoveSignature(b []byte) []byte {
	i, j := bytes.Index(b, []byte("<ds:Signature")), bytes.Index(b, []byte("</ds:Signature>"))
	return append(append([]byte(nil), b[:i]...), b[j+len("</ds:Signature>"):]...)
}

// TestOurMetadata: our metadata is signed by our signing key and names our
// ACS and both certificates.
func TestOurMetadata(t *testing.T) {
	a := newTestSP(t, nil)
	rec := httptest.NewRecorder()
	a.Handler(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", testBase+MetadataPath, nil))
	if rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	doc, err := xmltree.ParseBytes(rec.Body.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ed, _, err := xmldsig.VerifyEnvelopedID(doc.Root, "ID", &signaturePolicy, func(*xmldsig.Signature) (crypto.PublicKey, error) { return &spSign.PublicKey, nil })
	if err != nil {
		t.Fatal(err)
	}
	if ed.SelectAttr("", "entityID") != testBase+MetadataPath {
		t.Errorf("entityID %q", ed.SelectAttr("", "entityID"))
	}
	sp := ed.Child(NSMetadata, "SPSSODescriptor")
	if sp.Child(NSMetadata, "AssertionConsumerService").SelectAttr("", "Location") != testBase+ACSPath {
		t.Error("no ACS")
	}
	uses := map[string]*x509.Certificate{}
	for _, kd := range sp.ChildrenNamed(NSMetadata, "KeyDescriptor") {
		c, err := keyDescriptorCert(kd)
		if err != nil {
			t.Fatal(err)
		}
		uses[kd.SelectAttr("", "use")] = c
	}
	if !uses["signing"].Equal(spSignC) || !uses["encryption"].Equal(spEncC) {
		t.Error("certificates wrong")
	}
}
