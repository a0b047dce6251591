package requester

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Client is the Service over the connector's REST API (Handler), for a
// portal that runs apart from the connector. Its errors match the same
// sentinels as the Connector's (ErrNotFound, ErrInvalid with *FieldError,
// ErrState, ErrUnavailable) and ErrUnauthorized.
type Client struct {
	// BaseURL is the connector's address, e.g. "https://node.example:8443"
	// (APIPrefix is added).
	BaseURL string
	// Token is the bearer token (Config.APIToken), if any.
	Token string
	// HTTP is the HTTP client; default http.DefaultClient.
	HTTP *http.Client
}

var _ Service = (*Client)(nil)

// maxAnswer bounds an answer of the REST API (evidence files included).
const maxAnswer = 64 << 20

// Start begins a journey (POST /journeys).
func (c *Client) Start(ctx context.Context, s StartRequest) (*Journey, error) {
	return c.journey(ctx, http.MethodPost, "/journeys", s)
}

// Get returns a journey (GET /journeys/{id}).
func (c *Client) Get(ctx context.Context, journeyID string) (*Journey, error) {
	return c.journey(ctx, http.MethodGet, "/journeys/"+url.PathEscape(journeyID), nil)
}

// Choose records a choice (POST /journeys/{id}/requirements/{rid}/choice).
func (c *Client) Choose(ctx context.Context, journeyID, requirementID string, ch Choice) (*Journey, error) {
	return c.journey(ctx, http.MethodPost, "/journeys/"+url.PathEscape(journeyID)+"/requirements/"+url.PathEscape(requirementID)+"/choice", ch)
}

// Request sends the evidence request (POST
// /journeys/{id}/requirements/{rid}/request).
func (c *Client) Request(ctx context.Context, journeyID, requirementID string, r ExplicitRequest) (*Journey, error) {
	return c.journey(ctx, http.MethodPost, "/journeys/"+url.PathEscape(journeyID)+"/requirements/"+url.PathEscape(requirementID)+"/request", r)
}

// Evidence returns an evidence file (GET /journeys/{id}/evidence/{eid}).
func (c *Client) Evidence(ctx context.Context, journeyID, evidenceID string) (*File, error) {
	resp, err := c.do(ctx, http.MethodGet, "/journeys/"+url.PathEscape(journeyID)+"/evidence/"+url.PathEscape(evidenceID), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the evidence: %w", ErrUnavailable, err)
	}
	f := &File{MimeType: resp.Header.Get("Content-Type"), Data: data}
	if _, p, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		f.Name = p["filename"]
	}
	return f, nil
}

func (c *Client) journey(ctx context.Context, method, path string, in any) (*Journey, error) {
	resp, err := c.do(ctx, method, path, in)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var j Journey
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&j); err != nil {
		return nil, fmt.Errorf("%w: the answer is not a journey: %w", ErrUnavailable, err)
	}
	return &j, nil
}

// do sends a request and returns a 2xx answer; an error answer becomes the
// error it stands for.
func (c *Client) do(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("requester: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+APIPrefix+path, body)
	if err != nil {
		return nil, fmt.Errorf("requester: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var e apiError
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&e); err != nil || e.Code == "" {
		return nil, fmt.Errorf("%w: HTTP %d from the connector", ErrUnavailable, resp.StatusCode)
	}
	return nil, fromAPI(e, resp.StatusCode)
}
