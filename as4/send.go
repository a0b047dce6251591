package as4

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/as4/swa"
	"github.com/oots-go/oots/internal/exact"
	"github.com/oots-go/oots/wssec"
)

// ErrRefused is wrapped by the error of Check and Send when the receiving
// MSH answered with a verified ebMS Error signal for the message sent:
// retrying cannot cure it. The first *Error of the signal is wrapped too.
var ErrRefused = errors.New("as4: the receiving MSH refused the message")

// ErrNotSent is wrapped by the error of Send when the message could not be
// packed (a configuration or submission error): nothing was posted.
var ErrNotSent = errors.New("as4: the message could not be packed")

// MaxAnswerSize bounds the HTTP answer to a user message that Post reads:
// a signal is a few kilobytes.
const MaxAnswerSize = 8 << 20

// Answer is the receiving MSH's HTTP answer to a posted user message.
type Answer struct {
	Status      int
	ContentType string
	// Body is the answer as received (at most MaxAnswerSize bytes): the
	// signal, kept as the evidence of non-repudiation of receipt.
	Body []byte
}

// Delivery is the outcome of Send for a message the receiving MSH took.
type Delivery struct {
	// MessageID is the eb:MessageId sent.
	MessageID string
	// Endpoint is where the message was posted.
	Endpoint string
	// Answer is the HTTP answer; Signal the verified receipt (nil on a leg
	// that expects none).
	Answer *Answer
	Signal *SignalMessage
}

func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return defaultClient
}

// defaultClient posts when Sender.Client is nil: the whole exchange, body
// and answer, within 60 s.
var defaultClient = &http.Client{Timeout: 60 * time.Second}

// Send runs the whole AS4 send of a user message: Pack, Post to endpoint
// ("" for the receiving party's P-Mode endpoint), Check the answer. It
// returns the delivery when the receiving MSH gave a valid receipt (or, on
// a leg without receipts, a 2xx answer).
//
// Errors: ErrNotSent (wrapping the *Error of Pack) when nothing was posted;
// ErrRefused (wrapping the peer's *Error) for a verified Error signal about
// this message; anything else (EBMS:0005 ConnectionFailure, EBMS:0301
// MissingReceipt, EBMS:0302 InvalidReceipt, EBMS:0101 for a signal signed by
// someone else than the receiving party) leaves the message's fate unknown:
// the caller retries per the leg's reception awareness.
func (s *Sender) Send(ctx context.Context, msg *Outbound, endpoint string) (*Delivery, error) {
	p, err := s.Pack(msg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	defer p.Close()
	if endpoint == "" {
		endpoint = p.Endpoint
	}
	d := &Delivery{MessageID: p.UserMessage.MessageInfo.MessageID, Endpoint: endpoint}
	if d.Answer, err = s.Post(ctx, p, endpoint); err != nil {
		return d, err
	}
	if d.Signal, err = s.Check(p, d.Answer); err != nil {
		return d, err
	}
	return d, nil
}

// Post sends a packed message to endpoint ("" for p.Endpoint) with the
// Sender's Client and reads the answer, whatever its status. Failures to
// connect or to read are EBMS:0005 ConnectionFailure.
func (s *Sender) Post(ctx context.Context, p *Packed, endpoint string) (*Answer, error) {
	if endpoint == "" {
		endpoint = p.Endpoint
	}
	req, err := p.Request(endpoint)
	if err != nil {
		return nil, wrapErr(ConnectionFailure, err, "making the request to %q", endpoint)
	}
	resp, err := s.client().Do(req.WithContext(ctx))
	if err != nil {
		return nil, Errorf(ConnectionFailure, "posting to %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	body, more, err := exact.Read(resp.Body, MaxAnswerSize)
	if err != nil {
		return nil, Errorf(ConnectionFailure, "reading the answer of %s: %v", endpoint, err)
	}
	if more {
		return nil, Errorf(ConnectionFailure, "the answer of %s is larger than %d bytes", endpoint, MaxAnswerSize)
	}
	return &Answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: body}, nil
}

// Check reads the receiving MSH's answer to p (AS4 profile, reception
// awareness; ebMS3 Core §6):
//
//  1. an answer without a signal is fine only on a leg without receipts and
//     with a 2xx status (else EBMS:0301 MissingReceipt);
//  2. on a leg with non-repudiation the signal must be signed by a
//     certificate that chains to Trust, under the leg's Timestamp policy,
//     and that certificate must be the receiving party's (CheckSigner,
//     PartyCertificates): a signal signed by anyone else proves nothing
//     and is EBMS:0101;
//  3. an Error signal must refer to p's MessageId (eb:RefToMessageId or
//     every error's RefToMessageInError); one that does not is ignored
//     (EBMS:0302, as if nothing came back); one that does is returned
//     wrapped in ErrRefused;
//  4. a receipt must match p (CheckReceipt).
//
// It returns the verified signal.
func (s *Sender) Check(p *Packed, a *Answer) (*SignalMessage, error) {
	leg := p.Leg
	id := p.UserMessage.MessageInfo.MessageID
	if ct := strings.ToLower(a.ContentType); !strings.Contains(ct, "soap+xml") && !strings.HasPrefix(ct, "multipart/related") {
		if leg.Reliability.Receipt == pmode.ReceiptNone && a.Status/100 == 2 {
			return nil, nil
		}
		return nil, Errorf(MissingReceipt, "HTTP %d without a signal for %s", a.Status, id)
	}
	if leg.Reliability.NonRepudiation && leg.Security.Profile != pmode.ProfileNone {
		if s.Trust == nil {
			return nil, Errorf(Other, "leg %s has non-repudiation: the sender needs a trust store to verify the receipt", leg.Name)
		}
		to, ok := partyOf(s.PMode, p.UserMessage.PartyInfo.To.PartyIDs)
		if !ok {
			return nil, Errorf(FailedAuthentication, "the receiving party of %s is not in the P-Mode", id)
		}
		certs, err := certificatesOf(s.PartyCertificates, to)
		if err != nil {
			return nil, err
		}
		sig, signer, err := readSignal(a.ContentType, bytes.NewReader(a.Body), &wssec.VerifyConfig{Profile: leg.Security.Profile,
			RequireSignature: true, Trust: s.Trust, Now: s.Now, Timestamp: wssec.TimestampPolicy(leg.Security.Timestamp),
			Certificates: certs})
		if err != nil {
			return nil, err
		}
		if err := bind(s.Bind, to, certs, signer); err != nil {
			e := AsError(err)
			e.Detail = "the signal for " + id + " is not signed by the receiving party: " + e.Detail
			return nil, e
		}
		return checkSignal(p, sig)
	}
	sig, err := ReadSignal(a.ContentType, bytes.NewReader(a.Body), nil)
	if err != nil {
		return nil, err
	}
	return checkSignal(p, sig)
}

// checkSignal is steps 3 and 4 of Check.
func checkSignal(p *Packed, sig *SignalMessage) (*SignalMessage, error) {
	id := p.UserMessage.MessageInfo.MessageID
	if len(sig.Errors) > 0 {
		about := sig.MessageInfo.RefToMessageID == id
		if !about && sig.MessageInfo.RefToMessageID == "" {
			about = true
			for _, e := range sig.Errors {
				if e.RefToMessageInError != id {
					about = false
				}
			}
		}
		if !about {
			ref := sig.MessageInfo.RefToMessageID
			if ref == "" {
				ref = sig.Errors[0].RefToMessageInError
			}
			return nil, Errorf(InvalidReceipt, "an ebMS Error signal (%s) for message %q, not for %s: ignored", sig.Errors[0].Code, ref, id)
		}
		return sig, fmt.Errorf("%w: %w", ErrRefused, sig.Errors[0])
	}
	if err := CheckReceipt(p, sig); err != nil {
		return nil, err
	}
	return sig, nil
}

// Reread reads back a user message as this access point sent it (the body
// and Content-Type of its HTTP POST, recorded), so that Check can judge the
// answer it got: the header is parsed but not verified (it is our own), and
// the leg is found from its service, action and parties.
func (s *Sender) Reread(contentType string, body io.Reader) (*Packed, error) {
	msg, err := swa.Read(body, contentType, nil)
	if err != nil {
		return nil, wrapErr(MimeInconsistency, err, "reading the message as sent")
	}
	defer msg.Close()
	env, err := ParseEnvelope(bytes.NewReader(msg.Envelope), nil)
	if err != nil {
		return nil, err
	}
	m, err := ParseMessaging(env.Messaging)
	if err != nil {
		return nil, err
	}
	if m.UserMessage == nil {
		return nil, Errorf(InvalidHeader, "the message as sent has no eb:UserMessage")
	}
	if s.PMode == nil {
		return nil, Errorf(ProcessingModeMismatch, "no P-Mode configuration")
	}
	leg, err := findLeg(s.PMode, m.UserMessage)
	if err != nil {
		return nil, err
	}
	p := &Packed{UserMessage: m.UserMessage, Leg: leg, Envelope: msg.Envelope}
	if to, ok := partyOf(s.PMode, m.UserMessage.PartyInfo.To.PartyIDs); ok {
		p.Endpoint = to.Endpoint
	}
	return p, nil
}
