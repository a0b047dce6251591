package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/oots-go/oots/jades"
	"github.com/oots-go/oots/trust"
)

// runCSVerify implements "oots cs-verify -trust ROOTS.pem [-at TIME|iat]
// HEADERS BODY": it verifies the response signature of a Common Services
// answer (package jades: digest header and detached JAdES JWS in
// oots-response-sig) saved as a headers file ("name: value" lines, an HTTP
// status line allowed) and a body file. -at chooses when the signer's chain
// must be valid: now (default), an RFC 3339 time, or "iat" for the signing
// time the signature states. Exit 0 when the signature is valid, 1 when it
// is not, 2 on usage or I/O errors.
func runCSVerify(_ context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("cs-verify", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	trustFile := fl.String("trust", "", "PEM file of the trust anchors (Commission roots, or a signing certificate trusted directly)")
	at := fl.String("at", "", `time at which the chain must be valid: RFC 3339, "iat" (the signing time), or empty for now`)
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots cs-verify -trust ROOTS.pem [-at TIME|iat] HEADERS BODY")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 2 || *trustFile == "" {
		fl.Usage()
		return 2
	}
	store, err := trust.LoadFiles(*trustFile)
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots cs-verify: -trust: %v\n", err)
		return 2
	}
	rawHeaders, err := os.ReadFile(fl.Arg(0))
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots cs-verify: %v\n", err)
		return 2
	}
	body, err := os.ReadFile(fl.Arg(1))
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots cs-verify: %v\n", err)
		return 2
	}
	header, err := readHeaderLines(rawHeaders)
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots cs-verify: %s: %v\n", fl.Arg(0), err)
		return 2
	}
	var now time.Time
	switch *at {
	case "":
	case "iat":
		// Only to choose the time: the signature covers iat and is verified below.
		if now, err = statedIat(header.Get(jades.HeaderSignature)); err != nil {
			fmt.Fprintf(env.Stderr, "oots cs-verify: -at iat: %v\n", err)
			return 1
		}
	default:
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			fmt.Fprintf(env.Stderr, "oots cs-verify: -at: %v\n", err)
			return 2
		}
	}
	v, err := jades.Verify(header, body, jades.VerifyOptions{Trust: store, Now: now})
	if err != nil {
		fmt.Fprintf(env.Stdout, "INVALID %s\n", err)
		return 1
	}
	var path []string
	for _, c := range v.Chain {
		path = append(path, c.Subject.String())
	}
	fmt.Fprintf(env.Stdout, "valid: signed at %s over %s by %s\n", v.SignedAt.Format(time.RFC3339), strings.Join(v.SignedHeaders, ", "), strings.Join(path, " <- "))
	return 0
}

// readHeaderLines reads "name: value" lines into an http.Header, skipping
// an HTTP status line and blank lines.
func readHeaderLines(raw []byte) (http.Header, error) {
	h := http.Header{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || n == 1 && strings.HasPrefix(line, "HTTP/") {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("line %d is not a header line", n)
		}
		h.Add(name, strings.TrimSpace(value))
	}
	return h, sc.Err()
}

// statedIat reads iat from the (not yet verified) protected header.
func statedIat(jws string) (time.Time, error) {
	protected, _, _ := strings.Cut(jws, ".")
	js, err := base64.RawURLEncoding.DecodeString(protected)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: protected header is not base64url", jades.HeaderSignature)
	}
	var ph struct {
		Iat *int64 `json:"iat"`
	}
	if err := json.Unmarshal(js, &ph); err != nil || ph.Iat == nil {
		return time.Time{}, errors.New("the signature states no iat")
	}
	return time.Unix(*ph.Iat, 0).UTC(), nil
}
