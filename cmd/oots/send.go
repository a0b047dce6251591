package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/oots-go/oots/ap"
)

// maxSendPayload bounds a payload oots send reads (the backend API takes
// larger ones through POST /api/v1/payloads).
const maxSendPayload = 32 << 20

// runSend submits one message to a running node through its backend API
// (POST /api/v1/messages), the way a backend does:
//
//	oots send -config oots.yaml -leg ootsRequestLeg -to AP_DE_01 \
//	    -property originalSender=… -property finalRecipient=… (-file F | -data TEXT) [-wait 1m]
//
// The API's address and token come from the node's configuration (the
// token from OOTS_API_TOKEN when set). It prints the message id; with
// -wait it waits until the message is delivered (the partner's signed
// receipt came back) or failed, and exits 1 unless delivered.
func runSend(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("oots send", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgFile := fs.String("config", "oots.yaml", "configuration file of the node that sends")
	apiURL := fs.String("api", "", "base URL of the backend API (default: from the configuration, http://api.listen or listen)")
	leg := fs.String("leg", "ootsRequestLeg", "P-Mode leg")
	to := fs.String("to", "", "receiving party (default: the leg's first responder other than this node)")
	file := fs.String("file", "", "payload file")
	data := fs.String("data", "", "payload text (instead of -file)")
	mimeType := fs.String("mime", "application/xml", "payload MIME type")
	key := fs.String("key", "", "client key: submitting twice with one key sends one message")
	conv := fs.String("conversation", "", "eb:ConversationId (default: generated)")
	ref := fs.String("ref", "", "eb:RefToMessageId")
	wait := fs.Duration("wait", 0, "wait this long for delivered or failed (0: do not wait)")
	var props multiFlag
	fs.Var(&props, "property", "message property NAME=VALUE (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 || (*file == "") == (*data == "") {
		fmt.Fprintln(env.Stderr, "oots send: give one of -file or -data")
		fs.Usage()
		return 2
	}
	c, err := readServeConfig(*cfgFile, env.Getenv)
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots send:", err)
		return 2
	}
	base := *apiURL
	if base == "" {
		scheme := "http"
		if c.API.Listen == "" && c.TLS != nil && c.TLS.Certificate != "" {
			scheme = "https"
		}
		base = scheme + "://" + c.apiAddr()
	}
	base = strings.TrimSuffix(base, "/")
	payload := []byte(*data)
	if *file != "" {
		if payload, err = readBounded(*file); err != nil {
			fmt.Fprintln(env.Stderr, "oots send:", err)
			return 2
		}
		if len(payload) > maxSendPayload {
			fmt.Fprintf(env.Stderr, "oots send: %s: more than %d bytes\n", *file, maxSendPayload)
			return 2
		}
	}
	sub := ap.Submission{ClientKey: *key, Leg: *leg, To: *to, ConversationID: *conv, RefToMessageID: *ref,
		Payloads: []ap.Payload{{MimeType: *mimeType, Data: payload}}}
	for _, p := range props {
		n, v, ok := strings.Cut(p, "=")
		if !ok || n == "" {
			fmt.Fprintf(env.Stderr, "oots send: -property %q: NAME=VALUE\n", p)
			return 2
		}
		sub.Properties = append(sub.Properties, ap.Property{Name: n, Value: v})
	}
	body, err := json.Marshal(sub)
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots send:", err)
		return 2
	}
	client := &http.Client{Timeout: 30 * time.Second}
	var st ap.Status
	if err := sendAPI(ctx, client, c.API.Token, http.MethodPost, base+"/api/v1/messages", body, &st); err != nil {
		fmt.Fprintln(env.Stderr, "oots send:", err)
		return 2
	}
	fmt.Fprintf(env.Stdout, "%s %s to %s on %s\n", st.MessageID, st.State, st.To, st.Leg)
	if *wait <= 0 {
		return 0
	}
	deadline := time.Now().Add(*wait)
	for st.State != "delivered" && st.State != "failed" && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return 2
		case <-time.After(200 * time.Millisecond):
		}
		if err := sendAPI(ctx, client, c.API.Token, http.MethodGet, base+"/api/v1/messages/"+st.MessageID, nil, &st); err != nil {
			fmt.Fprintln(env.Stderr, "oots send:", err)
			return 2
		}
	}
	fmt.Fprintf(env.Stdout, "%s %s after %d attempt(s)", st.MessageID, st.State, st.Attempts)
	if st.LastError != "" {
		fmt.Fprintf(env.Stdout, ": %s", st.LastError)
	}
	fmt.Fprintln(env.Stdout)
	if st.State != "delivered" {
		return 1
	}
	return 0
}

// sendAPI calls the backend API and decodes its JSON answer into v.
func sendAPI(ctx context.Context, client *http.Client, token, method, url string, body []byte, v any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, e.Error)
		}
		return fmt.Errorf("%s %s: HTTP %d", method, url, resp.StatusCode)
	}
	return json.Unmarshal(b, v)
}
