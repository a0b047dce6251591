package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/durable"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// runAS4 dispatches "oots as4 pack" and "oots as4 unpack".
func runAS4(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "usage: oots as4 pack|unpack [options]  (oots as4 pack -h for the options)")
		return 2
	}
	switch args[0] {
	case "pack":
		return runAS4Pack(ctx, env, args[1:])
	case "unpack":
		return runAS4Unpack(ctx, env, args[1:])
	}
	fmt.Fprintf(env.Stderr, "oots as4: unknown subcommand %q (pack or unpack)\n", args[0])
	return 2
}

func runAS4Pack(_ context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("oots as4 pack", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	pmodeFile := fs.String("pmode", "", "P-Mode configuration: YAML (as4/pmode) or Domibus PMode XML")
	leg := fs.String("leg", "", "leg of the P-Mode to send on")
	from := fs.String("from", "", "sending party (default: the P-Mode's self, or the leg's first initiator)")
	to := fs.String("to", "", "receiving party (default: the leg's first responder other than the sender)")
	keyFile := fs.String("key", "", "signing private key (PEM: RSA for 1.15, Ed25519 for 2.0)")
	certFile := fs.String("cert", "", "signing certificate (PEM)")
	peerFile := fs.String("peer-cert", "", "receiver's encryption certificate (PEM: RSA for 1.15, X25519 for 2.0; default: the P-Mode party's encryptionCertificate)")
	endpoint := fs.String("endpoint", "", "URL to POST to (default: the receiving party's endpoint in the P-Mode)")
	out := fs.String("o", "", "file to write the HTTP request to (required)")
	messageID := fs.String("message-id", "", "eb:MessageId (default: generated)")
	conversationID := fs.String("conversation-id", "", "eb:ConversationId (default: generated)")
	refTo := fs.String("ref-to", "", "eb:RefToMessageId")
	var payloads, props multiFlag
	fs.Var(&payloads, "payload", "payload `ID=FILE;type=MIME[;charset=CS]` (repeatable; ID may be empty: FILE;type=…)")
	fs.Var(&props, "property", "message property `NAME=VALUE[;type=TYPE]` (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots as4 pack --pmode FILE --leg NAME --key K.pem --cert C.pem --peer-cert P.pem --payload ID=FILE;type=MIME… -o request.http")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *pmodeFile == "" || *leg == "" || *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "oots as4 pack: "+format+"\n", a...)
		return 2
	}
	cfg, err := loadPMode(*pmodeFile, func(err error) { fmt.Fprintf(env.Stderr, "oots as4 pack: warning: %v\n", err) })
	if err != nil {
		return fail("%v", err)
	}
	s := &as4.Sender{PMode: cfg}
	if *keyFile != "" || *certFile != "" {
		k, err := as4LoadKey(*keyFile)
		if err != nil {
			return fail("%v", err)
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return fail("--key %s is not a signing key", *keyFile)
		}
		s.SigningKey = signer
		if s.SigningCert, err = as4LoadCert(*certFile); err != nil {
			return fail("%v", err)
		}
	}
	if *peerFile == "" {
		// The receiver's encryption certificate from the P-Mode, if it names one.
		if l, err := cfg.Leg(*leg); err == nil {
			if _, toParty, err := as4.ResolveParties(cfg, l, *from, *to); err == nil && toParty.EncryptionCertificate != "" {
				*peerFile = as4RelativeTo(*pmodeFile, toParty.EncryptionCertificate)
			}
		}
	}
	if *peerFile != "" {
		if s.PeerCert, err = as4LoadCert(*peerFile); err != nil {
			return fail("%v", err)
		}
	}
	msg := &as4.Outbound{Leg: *leg, From: *from, To: *to, MessageID: *messageID, ConversationID: *conversationID, RefToMessageID: *refTo}
	for _, p := range props {
		prop, err := as4ParseProperty(p)
		if err != nil {
			return fail("%v", err)
		}
		msg.Properties = append(msg.Properties, prop)
	}
	for _, p := range payloads {
		pl, err := as4ParsePayload(p)
		if err != nil {
			return fail("%v", err)
		}
		msg.Payloads = append(msg.Payloads, pl)
	}
	packed, err := s.Pack(msg)
	if err != nil {
		return fail("%v", err)
	}
	defer packed.Close()
	if err := as4WriteFile(*out, func(w io.Writer) error { return packed.WriteRequest(w, *endpoint) }); err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(env.Stdout, "%s: %s (leg %s, %d payloads)\n", *out, packed.UserMessage.MessageInfo.MessageID, packed.Leg.Name, len(msg.Payloads))
	return 0
}

// parseInterspersed parses args with fs, allowing flags after positional
// arguments (oots as4 unpack FILE -d DIR); it returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

func runAS4Unpack(_ context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("oots as4 unpack", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	pmodeFile := fs.String("pmode", "", "P-Mode configuration: YAML (as4/pmode) or Domibus PMode XML")
	keyFile := fs.String("key", "", "decryption private key (PEM: RSA for 1.15, X25519 for 2.0)")
	trustFile := fs.String("trust", "", "trusted certificates (PEM bundle) for the sender's signing certificate (default: the P-Mode parties' signing certificates)")
	dir := fs.String("d", "", "directory to write the payloads and header.json to (required for a user message)")
	now := fs.String("now", "", "verify as of this time (RFC 3339), e.g. to replay a recorded message; default: now")
	self := fs.String("self", "", "this access point's party (overrides the P-Mode's self)")
	response := fs.String("response", "", "write the HTTP response this access point answers with (signed receipt, or signed error signal) to this file")
	signKeyFile := fs.String("sign-key", "", "key signing the --response (PEM: RSA for 1.15, Ed25519 for 2.0)")
	signCertFile := fs.String("sign-cert", "", "certificate of --sign-key (PEM)")
	sent := fs.String("sent", "", "for a receipt or error signal: the user message it answers, as sent (an HTTP request file, as oots as4 pack writes)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots as4 unpack --pmode FILE --key K.pem [--trust CA.pem] [--response R.http --sign-key S.pem --sign-cert C.pem] request.http -d OUTDIR")
		fmt.Fprintln(env.Stderr, "       oots as4 unpack --pmode FILE [--trust CA.pem] [--sent request.http] response.http   (a receipt or error signal)")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if *pmodeFile == "" || len(pos) != 1 {
		fs.Usage()
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "oots as4 unpack: "+format+"\n", a...)
		return 2
	}
	cfg, err := loadPMode(*pmodeFile, func(err error) { fmt.Fprintf(env.Stderr, "oots as4 unpack: warning: %v\n", err) })
	if err != nil {
		return fail("%v", err)
	}
	if *self != "" {
		cfg.Self = *self
		if err := cfg.Validate(); err != nil {
			return fail("--self: %v", err)
		}
	}
	clock := time.Now
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return fail("--now: %v", err)
		}
		clock = func() time.Time { return t }
	}
	// The parties' signing certificates of the P-Mode: each binds its
	// party, and without --trust they are the trust store.
	partyCerts := map[string]*x509.Certificate{}
	var certFiles []string
	for _, p := range cfg.Parties {
		if p.SigningCertificate == "" {
			continue
		}
		f := as4RelativeTo(*pmodeFile, p.SigningCertificate)
		c, err := as4LoadCert(f)
		if err != nil {
			return fail("P-Mode party %s signingCertificate: %v", p.Name, err)
		}
		partyCerts[p.Name], certFiles = c, append(certFiles, f)
	}
	certsOf := func(party string) ([]*x509.Certificate, error) {
		if c := partyCerts[party]; c != nil {
			return []*x509.Certificate{c}, nil
		}
		return nil, nil
	}
	var ts *trust.Store
	if *trustFile != "" {
		certFiles = []string{*trustFile}
	}
	if len(certFiles) > 0 {
		if ts, err = trust.LoadFiles(certFiles...); err != nil {
			return fail("trust: %v", err)
		}
	}
	raw, err := os.ReadFile(pos[0])
	if err != nil {
		return fail("%v", err)
	}
	if bytes.HasPrefix(raw, []byte("HTTP/")) {
		return as4UnpackSignal(env, &as4.Sender{PMode: cfg, Trust: ts, PartyCertificates: certsOf, Now: clock}, pos[0], raw, *sent)
	}
	if *dir == "" {
		fs.Usage()
		return 2
	}
	r := &as4.Receiver{PMode: cfg, TempDir: *dir, Trust: ts, PartyCertificates: certsOf, Now: clock}
	if *keyFile != "" {
		if r.DecryptionKey, err = as4LoadKey(*keyFile); err != nil {
			return fail("%v", err)
		}
	}
	if *signKeyFile != "" {
		k, err := as4LoadKey(*signKeyFile)
		if err != nil {
			return fail("%v", err)
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return fail("--sign-key %s is not a signing key", *signKeyFile)
		}
		r.SigningKey = signer
		if r.SigningCert, err = as4LoadCert(*signCertFile); err != nil {
			return fail("--sign-cert: %v", err)
		}
	}
	req, err := http.ReadRequest(bufio.NewReaderSize(bytes.NewReader(raw), 64<<10))
	if err != nil {
		return fail("%s is neither an HTTP request nor an HTTP response: %v", pos[0], err)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fail("%v", err)
	}
	// The message goes through the receiving endpoint of oots serve
	// (as4.Receiver.Serve); its answer is recorded.
	var desc *as4HeaderJSON
	var reply *as4.Reply
	r.Reply = func(rp *as4.Reply) { reply = rp }
	rec := &as4Recorder{header: http.Header{}}
	r.Serve(rec, req, func(_ context.Context, in *as4.Inbound) error {
		var err error
		desc, err = as4Describe(in, *dir)
		return err
	})
	if reply != nil && reply.Err == nil && *response != "" && r.SigningKey == nil && reply.Sign {
		return fail("leg %s signs its receipts: --response needs --sign-key and --sign-cert", reply.Leg.Name)
	}
	if *response != "" {
		if err := as4WriteFile(*response, func(w io.Writer) error { return rec.write(w) }); err != nil {
			return fail("writing the response: %v", err)
		}
	}
	if reply == nil || reply.Err != nil || desc == nil {
		why := "no answer"
		if reply != nil && reply.Err != nil {
			why = reply.Err.Error()
		}
		fmt.Fprintf(env.Stderr, "oots as4 unpack: rejected: %s\n", why)
		return 1
	}
	b, _ := json.MarshalIndent(desc, "", "  ")
	if err := os.WriteFile(filepath.Join(*dir, "header.json"), append(b, '\n'), 0o644); err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(env.Stdout, "%s: verified, %d payloads written to %s\n", desc.MessageID, len(desc.Payloads), *dir)
	return 0
}

// as4UnpackSignal reads a recorded HTTP response holding a receipt or an
// error signal. With sentFile (the user message it answers, as sent) it is
// judged as the sending access point judges it (as4.Sender.Check): signed
// by the receiving party, about that message, with the non-repudiation
// digests of what was signed. Without it, only its signature is verified.
func as4UnpackSignal(env *Env, s *as4.Sender, name string, raw []byte, sentFile string) int {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots as4 unpack: %s is not an HTTP response: %v\n", name, err)
		return 2
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, as4.MaxAnswerSize))
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots as4 unpack: %s: %v\n", name, err)
		return 2
	}
	a := &as4.Answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: body}
	if sentFile == "" {
		sig, err := as4VerifySignal(s, a)
		if err != nil {
			fmt.Fprintf(env.Stderr, "oots as4 unpack: rejected: %v\n", err)
			return 1
		}
		as4PrintSignal(env, sig, "signature verified; without --sent the party and the digests are not checked")
		return 0
	}
	f, err := os.Open(sentFile)
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots as4 unpack: --sent: %v\n", err)
		return 2
	}
	defer f.Close()
	req, err := http.ReadRequest(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots as4 unpack: --sent %s is not an HTTP request: %v\n", sentFile, err)
		return 2
	}
	p, err := s.Reread(req.Header.Get("Content-Type"), req.Body)
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots as4 unpack: --sent %s: %v\n", sentFile, err)
		return 2
	}
	sig, err := s.Check(p, a)
	if errors.Is(err, as4.ErrRefused) {
		as4PrintSignal(env, sig, "verified: the receiving party refused "+p.UserMessage.MessageInfo.MessageID)
		return 1
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots as4 unpack: rejected: %v\n", err)
		return 1
	}
	if sig == nil {
		fmt.Fprintf(env.Stdout, "HTTP %d without a signal: accepted (leg %s expects no receipt)\n", a.Status, p.Leg.Name)
		return 0
	}
	as4PrintSignal(env, sig, fmt.Sprintf("verified receipt for %s: signed by the receiving party, %d non-repudiation digests match", p.UserMessage.MessageInfo.MessageID, len(sig.Receipt.NonRepudiation)))
	return 0
}

// as4VerifySignal verifies a signal's signature under the profile of the
// P-Mode's signed legs (trying each profile the P-Mode uses).
func as4VerifySignal(s *as4.Sender, a *as4.Answer) (*as4.SignalMessage, error) {
	var certs []*x509.Certificate
	for _, p := range s.PMode.Parties {
		cs, _ := s.PartyCertificates(p.Name)
		certs = append(certs, cs...)
	}
	seen := map[wssec.Profile]bool{}
	var err error
	for _, l := range s.PMode.Legs {
		if l.Security.Profile == pmode.ProfileNone || seen[l.Security.Profile] {
			continue
		}
		seen[l.Security.Profile] = true
		var sig *as4.SignalMessage
		sig, err = as4.ReadSignal(a.ContentType, bytes.NewReader(a.Body), &wssec.VerifyConfig{Profile: l.Security.Profile,
			RequireSignature: true, Trust: s.Trust, Now: s.Now, Certificates: certs})
		if err == nil {
			return sig, nil
		}
	}
	if err == nil {
		return as4.ReadSignal(a.ContentType, bytes.NewReader(a.Body), nil)
	}
	return nil, err
}

// as4PrintSignal describes a signal on stdout.
func as4PrintSignal(env *Env, sig *as4.SignalMessage, verdict string) {
	kind := "receipt"
	if len(sig.Errors) > 0 {
		kind = "error signal"
	}
	fmt.Fprintf(env.Stdout, "%s %s for %s: %s\n", kind, sig.MessageInfo.MessageID, sig.MessageInfo.RefToMessageID, verdict)
	for _, e := range sig.Errors {
		fmt.Fprintf(env.Stdout, "  %s %s %s: %s\n", e.Code, e.Severity, e.ShortDescription, e.Detail)
	}
}

// as4HeaderJSON is the JSON description of a received message.
type as4HeaderJSON struct {
	MessageID      string              `json:"messageId"`
	Timestamp      time.Time           `json:"timestamp"`
	RefToMessageID string              `json:"refToMessageId,omitempty"`
	Leg            string              `json:"leg"`
	Security       string              `json:"security"`
	Signer         string              `json:"signer,omitempty"`
	From           as4PartyJSON        `json:"from"`
	To             as4PartyJSON        `json:"to"`
	Service        as4.Service         `json:"service"`
	Action         string              `json:"action"`
	ConversationID string              `json:"conversationId"`
	AgreementRef   *as4.AgreementRef   `json:"agreementRef,omitempty"`
	MPC            string              `json:"mpc,omitempty"`
	Properties     []as4PropertyJSON   `json:"properties"`
	Payloads       []as4PayloadJSON    `json:"payloads"`
	NRR            []map[string]string `json:"nonRepudiation,omitempty"`
}

type as4PartyJSON struct {
	PartyIDs []as4.PartyID `json:"partyIds"`
	Role     string        `json:"role"`
}

type as4PropertyJSON struct {
	Name  string `json:"name"`
	Type  string `json:"type,omitempty"`
	Value string `json:"value"`
}

type as4PayloadJSON struct {
	ContentID  string            `json:"contentId"`
	MimeType   string            `json:"mimeType"`
	File       string            `json:"file"`
	Size       int64             `json:"size"`
	SHA256     string            `json:"sha256"`
	Properties []as4PropertyJSON `json:"partProperties"`
}

// as4Describe writes the payloads into dir and returns the header description.
func as4Describe(in *as4.Inbound, dir string) (*as4HeaderJSON, error) {
	um := in.UserMessage
	props := func(ps []as4.Property) []as4PropertyJSON {
		out := []as4PropertyJSON{}
		for _, p := range ps {
			out = append(out, as4PropertyJSON{p.Name, p.Type, p.Value})
		}
		return out
	}
	h := &as4HeaderJSON{
		MessageID: um.MessageInfo.MessageID, Timestamp: um.MessageInfo.Timestamp, RefToMessageID: um.MessageInfo.RefToMessageID,
		Leg: in.Leg.Name, Security: string(in.Leg.Security.Profile),
		From:    as4PartyJSON{um.PartyInfo.From.PartyIDs, um.PartyInfo.From.Role},
		To:      as4PartyJSON{um.PartyInfo.To.PartyIDs, um.PartyInfo.To.Role},
		Service: um.CollaborationInfo.Service, Action: um.CollaborationInfo.Action,
		ConversationID: um.CollaborationInfo.ConversationID, AgreementRef: um.CollaborationInfo.AgreementRef,
		MPC: um.MPC, Properties: props(um.MessageProperties), Payloads: []as4PayloadJSON{},
	}
	if in.Security != nil {
		if in.Security.SignerCert != nil {
			h.Signer = in.Security.SignerCert.Subject.String()
		}
		for _, r := range in.Security.SignedInfoReferences {
			h.NRR = append(h.NRR, map[string]string{"uri": r.URI, "digestMethod": r.DigestMethod, "digestValue": hex.EncodeToString(r.DigestValue)})
		}
	}
	for i, p := range in.Payloads {
		name := fmt.Sprintf("payload-%d%s", i+1, as4Extension(p.MimeType))
		rc, err := p.Open()
		if err != nil {
			return nil, err
		}
		hash := sha256.New()
		var n int64
		err = as4WriteFile(filepath.Join(dir, name), func(w io.Writer) error {
			var err error
			n, err = io.Copy(io.MultiWriter(w, hash), rc)
			return err
		})
		rc.Close()
		if err != nil {
			return nil, err
		}
		h.Payloads = append(h.Payloads, as4PayloadJSON{ContentID: p.ContentID, MimeType: p.MimeType, File: name, Size: n,
			SHA256: hex.EncodeToString(hash.Sum(nil)), Properties: props(p.Properties)})
	}
	return h, nil
}

func as4Extension(mimeType string) string {
	switch mt, _, _ := mime.ParseMediaType(mimeType); {
	case mt == "application/x-ebrs+xml" || strings.HasSuffix(mt, "/xml") || strings.HasSuffix(mt, "+xml"):
		return ".xml"
	case mt == "application/pdf":
		return ".pdf"
	case mt == "application/json":
		return ".json"
	}
	return ".bin"
}

// as4RelativeTo resolves a file named in the P-Mode relative to its directory.
func as4RelativeTo(pmodeFile, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(filepath.Dir(pmodeFile), name)
}

func as4LoadKey(path string) (crypto.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := pki.ParseKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

func as4LoadCert(path string) (*x509.Certificate, error) {
	if path == "" {
		return nil, errors.New("a certificate file is required with --key")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := pki.ParseCertPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// as4ParsePayload reads "ID=FILE;type=MIME[;charset=CS]".
func as4ParsePayload(s string) (as4.Payload, error) {
	fields := strings.Split(s, ";")
	var pl as4.Payload
	file := fields[0]
	if id, f, ok := strings.Cut(fields[0], "="); ok {
		pl.ContentID, file = strings.TrimSpace(id), f
	}
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		switch strings.TrimSpace(k) {
		case "type":
			pl.MimeType = strings.TrimSpace(v)
		case "charset":
			pl.CharacterSet = strings.TrimSpace(v)
		default:
			return pl, fmt.Errorf("--payload %q: unknown parameter %q (type, charset)", s, k)
		}
	}
	if file == "" || pl.MimeType == "" {
		return pl, fmt.Errorf("--payload %q: want ID=FILE;type=MIME", s)
	}
	if _, err := os.Stat(file); err != nil {
		return pl, fmt.Errorf("--payload: %w", err)
	}
	pl.Open = func() (io.ReadCloser, error) { return os.Open(file) }
	return pl, nil
}

// as4ParseProperty reads "NAME=VALUE[;type=TYPE]".
func as4ParseProperty(s string) (as4.Property, error) {
	main, typ, _ := strings.Cut(s, ";type=")
	name, value, ok := strings.Cut(main, "=")
	if !ok || name == "" {
		return as4.Property{}, fmt.Errorf("--property %q: want NAME=VALUE[;type=TYPE]", s)
	}
	return as4.Property{Name: name, Value: value, Type: typ}, nil
}

// as4WriteFile writes a file through a temporary file, synced and renamed
// into place, so that a failed write leaves no partial file.
func as4WriteFile(path string, write func(io.Writer) error) error {
	return durable.WriteFile(path, 0o600, write)
}

// as4Recorder keeps the HTTP answer of the receiving endpoint, to write it
// to a file as a whole response.
type as4Recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *as4Recorder) Header() http.Header { return r.header }

func (r *as4Recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *as4Recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// write writes the whole HTTP/1.1 response.
func (r *as4Recorder) write(w io.Writer) error {
	resp := &http.Response{StatusCode: r.status, ProtoMajor: 1, ProtoMinor: 1, Header: r.header,
		ContentLength: int64(r.body.Len()), Body: io.NopCloser(bytes.NewReader(r.body.Bytes()))}
	return resp.Write(w)
}
