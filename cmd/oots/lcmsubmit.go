package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/lcm"
)

// runLCM implements "oots lcm submit": a Member State's LCM requests (files
// holding an lcm:SubmitObjectsRequest or lcm:RemoveObjectsRequest) sent to
// a Common Services party over AS4 from a running node ("oots serve"),
// through its backend API: each is submitted on the LCM request leg, and
// the answer (LCM-SUC or LCM-ERR with its code), which the node receives on
// the response or error leg, is read from its inbox and acknowledged. The
// node's backend must leave the LCM answers in the inbox (no webhook that
// consumes them). Exit 0 when every request was applied, 1 when one was
// refused, 2 on usage or transport errors.
func runLCM(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "submit" {
		fmt.Fprintln(env.Stderr, "usage: oots lcm submit -api URL -to PARTY [-property NAME=VALUE]... FILE...")
		return 2
	}
	fl := flag.NewFlagSet("lcm submit", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	api := fl.String("api", "", "base URL of the node's backend API (https://ap.example.eu)")
	to := fl.String("to", "cs-lcm-projectathon", "the Common Services party of the P-Mode")
	timeout := fl.Duration("timeout", lcm.DefaultTimeout, "how long to wait for each answer")
	var props multiFlag
	fl.Var(&props, "property", "NAME=VALUE: a message property of the requests (originalSender, finalRecipient; repeatable)")
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots lcm submit -api URL -to PARTY [-property NAME=VALUE]... FILE...\n\nThe API token is read from OOTS_API_TOKEN.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "oots lcm submit: "+format+"\n", a...)
		return 2
	}
	if *api == "" || fl.NArg() == 0 {
		fl.Usage()
		return 2
	}
	if u, err := url.Parse(*api); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail("-api %q is not an http or https URL", *api)
	}
	var properties []ap.Property
	for _, p := range props {
		n, v, ok := strings.Cut(p, "=")
		if !ok || n == "" {
			return fail("-property %q: want NAME=VALUE", p)
		}
		properties = append(properties, ap.Property{Name: n, Value: v})
	}
	node := &apiNode{base: strings.TrimSuffix(*api, "/"), token: env.Getenv("OOTS_API_TOKEN"), http: &http.Client{Timeout: 30 * time.Second}, ours: map[string]bool{}}
	c, err := lcm.NewClient(lcm.ClientConfig{AP: node, To: *to, Properties: properties, Timeout: *timeout})
	if err != nil {
		return fail("%v", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go node.poll(ctx, c)
	refused := false
	for _, f := range fl.Args() {
		b, err := os.ReadFile(f)
		if err != nil {
			return fail("%v", err)
		}
		res, err := c.Submit(ctx, b)
		if err != nil {
			return fail("%s: %v", f, err)
		}
		if e := res.Refused(); e != nil {
			refused = true
			fmt.Fprintf(env.Stdout, "%s: refused %s: %s (request %s, answer %s on %s)\n", f, e.Code, e.Detail, res.MessageID, res.AnswerID, res.Leg)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: applied (request %s, signed receipt verified; answer %s on %s)\n", f, res.MessageID, res.AnswerID, res.Leg)
	}
	if refused {
		return 1
	}
	return 0
}

// apiNode is a running node reached through its backend API: lcm.Sender
// (submit, status) and the poller of its inbox for the LCM answers.
type apiNode struct {
	base, token string
	http        *http.Client

	mu   sync.Mutex
	ours map[string]bool // the message ids submitted
}

var _ lcm.Sender = (*apiNode)(nil)

func (a *apiNode) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// Submit posts the submission to POST /api/v1/messages.
func (a *apiNode) Submit(ctx context.Context, s *ap.Submission) (*ap.Status, bool, error) {
	var st ap.Status
	if err := a.do(ctx, http.MethodPost, "/api/v1/messages", s, &st); err != nil {
		return nil, false, err
	}
	a.mu.Lock()
	a.ours[st.MessageID] = true
	a.mu.Unlock()
	return &st, true, nil
}

// Status reads GET /api/v1/messages/{id}.
func (a *apiNode) Status(ctx context.Context, id string) (*ap.Status, error) {
	var st ap.Status
	if err := a.do(ctx, http.MethodGet, "/api/v1/messages/"+url.PathEscape(id), nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// poll hands the LCM answers to the requests submitted here, as they come
// into the inbox, to c, and acknowledges them.
func (a *apiNode) poll(ctx context.Context, c *lcm.Client) {
	seen := map[string]bool{}
	for {
		var list struct {
			Messages []struct {
				ap.Header
				Acked bool `json:"acknowledged"`
			} `json:"messages"`
		}
		if err := a.do(ctx, http.MethodGet, "/api/v1/inbox?limit=1000", nil, &list); err == nil {
			for _, e := range list.Messages {
				a.mu.Lock()
				ours := a.ours[e.RefToMessageID]
				a.mu.Unlock()
				if !ours || seen[e.MessageID] || e.Service.Value != lcm.Service {
					continue
				}
				var m ap.ReceivedMessage
				if err := a.do(ctx, http.MethodGet, "/api/v1/inbox/"+url.PathEscape(e.MessageID), nil, &m); err != nil {
					continue
				}
				if c.Deliver(ctx, &m) == nil {
					seen[e.MessageID] = true
					a.do(ctx, http.MethodPost, "/api/v1/inbox/"+url.PathEscape(e.MessageID)+"/ack", nil, nil)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}
