package as4

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// ErrRetryLater, wrapped by the error of an Accept function, means that the
// message could not be taken now (its store is down, say): Serve answers
// HTTP 503 without a signal, so that the sender retries, and nothing is
// reported as refused.
var ErrRetryLater = errors.New("as4: the message cannot be taken now")

// Accept takes a verified message from Serve: it stores or delivers it
// before Serve answers with the receipt. An error wrapping ErrRetryLater
// answers HTTP 503; any other error is answered with an ebMS Error signal
// (AsError; a duplicate is not an error: Accept returns nil for it).
type Accept func(ctx context.Context, in *Inbound) error

// Reply is the answer Serve is about to write. Receiver.Reply sees every
// reply before it is written; it may log it, count it or (for tests of
// other access points only) change it.
type Reply struct {
	// Status is the HTTP status.
	Status int
	// Signal is the receipt or error signal; nil for an answer without one
	// (HTTP 503, a leg without receipts, a SOAP fault).
	Signal *Messaging
	// Sign: the signal is signed with the Receiver's key.
	Sign bool
	// Err is the reason of a refusal (nil for a receipt); Fault is set when
	// the answer is a SOAP 1.2 MustUnderstand fault instead of a signal.
	Err   *Error
	Fault *NotUnderstoodError
	// In is the accepted message (nil on a refusal); Leg its leg when it
	// was found.
	In  *Inbound
	Leg *pmode.Leg
	// Remote is the address of the peer (http.Request.RemoteAddr).
	Remote string
}

// Serve is the AS4 receiving endpoint for one HTTP POST (ebMS3 Core §7.1,
// AS4 profile §2.1): Unpack (verify, decrypt, check), hand the verified
// message to accept, then answer on the HTTP response with a receipt
// (signed, with non-repudiation information, when the leg says so) or an
// ebMS Error signal (signed when the Receiver has a key). A header block
// this access point does not understand and must is answered with a SOAP
// 1.2 MustUnderstand fault (SOAP 1.2 Part 1 §5.2.3). The body is bounded
// by MaxBodySize (EBMS:0007 and HTTP 413 beyond it).
func (r *Receiver) Serve(w http.ResponseWriter, req *http.Request, accept Accept) {
	max := r.MaxBodySize
	if max <= 0 {
		max = DefaultMaxBodySize
	}
	if req.ContentLength > max {
		r.refuse(w, req, Errorf(MimeInconsistency, "the message is %d bytes, more than the %d this access point accepts", req.ContentLength, max), http.StatusRequestEntityTooLarge, nil)
		return
	}
	body := &boundedBody{r: http.MaxBytesReader(w, req.Body, max)}
	in, err := r.Unpack(req.Header.Get("Content-Type"), body)
	if err != nil {
		status := http.StatusInternalServerError
		if body.tooLarge != nil {
			status = http.StatusRequestEntityTooLarge
			e := Errorf(MimeInconsistency, "the message is larger than the %d bytes this access point accepts", max)
			e.RefToMessageInError = AsError(err).RefToMessageInError
			e.Err = body.tooLarge
			err = e
		}
		r.refuse(w, req, err, status, nil)
		return
	}
	defer in.Close()
	if err := accept(req.Context(), in); err != nil {
		if errors.Is(err, ErrRetryLater) {
			r.write(w, req, &Reply{Status: http.StatusServiceUnavailable, Err: wrapErr(Other, err, "the message cannot be taken now"), In: in, Leg: in.Leg})
			return
		}
		e := AsError(err)
		if e.RefToMessageInError == "" {
			e.RefToMessageInError = in.UserMessage.MessageInfo.MessageID
		}
		r.refuse(w, req, e, http.StatusInternalServerError, in.Leg)
		return
	}
	reply := &Reply{Status: http.StatusOK, In: in, Leg: in.Leg}
	if in.Leg.Reliability.Receipt == pmode.ReceiptResponse {
		if reply.Signal, err = r.Receipt(in); err != nil {
			reply = &Reply{Status: http.StatusInternalServerError, Err: wrapErr(Other, err, "making the receipt"), In: in, Leg: in.Leg}
		}
		reply.Sign = in.Leg.Security.Profile != pmode.ProfileNone && in.Leg.Reliability.NonRepudiation
	}
	r.write(w, req, reply)
}

// DefaultMaxBodySize bounds a received message when Receiver.MaxBodySize
// is zero.
const DefaultMaxBodySize = 64 << 20

// refuse answers a refused message with a (signed) ebMS Error signal, or a
// SOAP fault for a header block not understood. What is left of the body
// is read and discarded (bounded), so that the client sees the answer
// rather than a reset.
func (r *Receiver) refuse(w http.ResponseWriter, req *http.Request, err error, status int, leg *pmode.Leg) {
	io.CopyN(io.Discard, req.Body, 1<<20)
	e := AsError(err)
	reply := &Reply{Status: status, Err: e, Leg: leg, Sign: true}
	var nu *NotUnderstoodError
	if errors.As(err, &nu) {
		reply.Fault, reply.Sign = nu, false
	} else if m, serr := r.ErrorSignal(e); serr == nil {
		reply.Signal = m
	}
	r.write(w, req, reply)
}

// write lets Reply see the answer, then writes it.
func (r *Receiver) write(w http.ResponseWriter, req *http.Request, reply *Reply) {
	reply.Remote = req.RemoteAddr
	if r.Reply != nil {
		r.Reply(reply)
	}
	var body []byte
	switch {
	case reply.Fault != nil:
		body = reply.Fault.envelope()
	case reply.Signal != nil:
		var sc *wssec.SignConfig
		if reply.Sign {
			sc = r.signalSigner(reply.Leg)
		}
		b, err := SignSignal(reply.Signal, sc)
		if err != nil {
			http.Error(w, "the signal could not be made", http.StatusInternalServerError)
			return
		}
		body = b
	default:
		if reply.Err != nil {
			http.Error(w, reply.Err.Error(), reply.Status)
		} else {
			w.WriteHeader(reply.Status)
		}
		return
	}
	// With its length the answer goes out as it is, not in chunks.
	w.Header().Set("Content-Type", "application/soap+xml; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(reply.Status)
	w.Write(body)
}

// signalSigner is the signing configuration of a signal on leg (nil leg:
// an error about a message whose leg is unknown): the Receiver's key, the
// profile of the leg (else of the key) and the leg's Timestamp policy. nil
// without a key.
func (r *Receiver) signalSigner(leg *pmode.Leg) *wssec.SignConfig {
	if r.SigningKey == nil || r.SigningCert == nil {
		return nil
	}
	sc := &wssec.SignConfig{SigningKey: r.SigningKey, SigningCert: r.SigningCert, Now: r.Now, Rand: r.Rand}
	// A key of no profile is left to SignConfig.Validate to name.
	sc.Profile, _ = wssec.ProfileFor(r.SigningKey)
	if leg != nil && leg.Security.Profile != pmode.ProfileNone {
		sc.Profile = leg.Security.Profile
		sc.Timestamp = wssec.TimestampPolicy(leg.Security.Timestamp)
		sc.SignatureKeyRef = wssec.KeyReference(leg.Security.SignatureKeyReference)
	}
	return sc
}

// boundedBody remembers that the body went beyond its limit, whatever the
// MIME reader made of the error.
type boundedBody struct {
	r        io.Reader
	tooLarge error
}

func (b *boundedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		b.tooLarge = err
	}
	return n, err
}

// NotUnderstoodError is a SOAP 1.2 MustUnderstand fault (SOAP 1.2 Part 1
// §5.4.8): header blocks marked mustUnderstand that this access point does
// not process. Unpack returns it wrapped in an *Error (EBMS:0009); Serve
// answers it with a SOAP fault, not an ebMS signal.
type NotUnderstoodError struct {
	Blocks []xmltree.Name
}

// Error names the blocks.
func (e *NotUnderstoodError) Error() string {
	s := "mandatory SOAP header blocks not understood:"
	for _, b := range e.Blocks {
		s += " {" + b.Space + "}" + b.Local
	}
	return s
}

// envelope is the SOAP 1.2 fault: env:NotUnderstood header blocks, then a
// Fault with the code env:MustUnderstand.
func (e *NotUnderstoodError) envelope() []byte {
	env := xmltree.NewElement(NamespaceSOAP12, "env", "Envelope")
	env.DeclareNS("env", NamespaceSOAP12)
	hdr := env.AddElement(NamespaceSOAP12, "env", "Header")
	for i, b := range e.Blocks {
		nu := hdr.AddElement(NamespaceSOAP12, "env", "NotUnderstood")
		p := fmt.Sprintf("nu%d", i)
		nu.DeclareNS(p, b.Space)
		nu.SetAttr("", "", "qname", p+":"+b.Local)
	}
	f := env.AddElement(NamespaceSOAP12, "env", "Body").AddElement(NamespaceSOAP12, "env", "Fault")
	f.AddElement(NamespaceSOAP12, "env", "Code").AddElement(NamespaceSOAP12, "env", "Value").SetText("env:MustUnderstand")
	t := f.AddElement(NamespaceSOAP12, "env", "Reason").AddElement(NamespaceSOAP12, "env", "Text")
	t.SetAttr("http://www.w3.org/XML/1998/namespace", "xml", "lang", "en")
	t.SetText(e.Error())
	var buf bytes.Buffer
	xmltree.Write(&buf, &xmltree.Document{Root: env, Children: []xmltree.Node{env}}, xmltree.WriteOptions{Declaration: true})
	return buf.Bytes()
}

// understood are the header blocks Unpack processes: eb:Messaging and the
// WS-Security header.
func understood(e *xmltree.Element) bool {
	return e.Is(NamespaceEB, "Messaging") || isSecurityHeader(e)
}

// checkMustUnderstand returns the header blocks marked
// env:mustUnderstand="true" (or "1") that Unpack does not process (SOAP
// 1.2 Part 1 §5.2.3), as an *Error wrapping a *NotUnderstoodError.
func checkMustUnderstand(h *xmltree.Element) error {
	var nu NotUnderstoodError
	for _, b := range h.Elements() {
		if v, ok := b.AttrValue(NamespaceSOAP12, "mustUnderstand"); ok && (v == "true" || v == "1") && !understood(b) {
			nu.Blocks = append(nu.Blocks, b.Name)
		}
	}
	if len(nu.Blocks) == 0 {
		return nil
	}
	return wrapErr(InvalidHeader, &nu, "SOAP header blocks marked mustUnderstand that this access point does not process")
}
