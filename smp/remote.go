package smp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// RemoteStore is a Store reached over the management API of a Server
// (PathAPI), so that `oots smp` and other tools manage an SMP that runs
// elsewhere. Errors from the server are returned with its message;
// HTTP 404 is ErrNotFound. An answer's member whose name is a field's but
// for case is an error naming it, not taken for the field.
type RemoteStore struct {
	// BaseURL is the SMP server's base URL, e.g. https://smp.example.eu.
	BaseURL string
	// Token is the bearer token of the management API.
	Token string
	// HTTP is the HTTP client; default one with a 10s timeout.
	HTTP *http.Client
	// Exact makes an answer with a member no field has (that of a newer
	// server) an error wrapping ErrUnknownMember, naming the member and
	// where it is: for a caller that writes back what it read, which
	// would drop that member silently. Without it, such a member is left
	// alone, as encoding/json does.
	Exact bool
}

// ErrUnknownMember: an answer of the management API has a member this
// package does not know (RemoteStore.Exact).
var ErrUnknownMember = errors.New("smp: the management API answered with a member this client does not know")

var _ Store = (*RemoteStore)(nil)

func (s *RemoteStore) url(p ID, doc *ID) string {
	u := strings.TrimSuffix(s.BaseURL, "/") + PathAPI + "participants"
	if p.Value != "" {
		u += "/" + p.PathSegment()
	}
	if doc != nil {
		u += "/services/" + doc.PathSegment()
	}
	return u
}

// do sends a request and decodes a JSON answer into out (if not nil).
func (s *RemoteStore) do(ctx context.Context, method, u string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("smp: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("smp: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := s.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("smp: management API: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocument))
	if err != nil {
		return fmt.Errorf("smp: management API: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, strings.TrimSpace(string(b)))
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("smp: management API %s %s: HTTP %d: %s", method, u, resp.StatusCode, strings.TrimSpace(string(b)))
	case out != nil:
		// Names as the server writes them: one that is a field's but for
		// case is refused, not taken for it; one no field has is left
		// alone, as encoding/json does (an answer of a newer server),
		// unless s is Exact.
		if err := exactNames(b, reflect.TypeOf(out), true); err != nil {
			return fmt.Errorf("smp: management API answer: %w", err)
		}
		if s.Exact {
			if err := exactNames(b, reflect.TypeOf(out), false); err != nil {
				return fmt.Errorf("%w: %w", ErrUnknownMember, err)
			}
		}
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("smp: management API answer: %w", err)
		}
	}
	return nil
}

// PutParticipant implements Store.
func (s *RemoteStore) PutParticipant(ctx context.Context, p ID) error {
	return s.do(ctx, http.MethodPut, s.url(p, nil), nil, nil)
}

// DeleteParticipant implements Store.
func (s *RemoteStore) DeleteParticipant(ctx context.Context, p ID) error {
	return s.do(ctx, http.MethodDelete, s.url(p, nil), nil, nil)
}

// ServiceGroup implements Store.
func (s *RemoteStore) ServiceGroup(ctx context.Context, p ID) (*ServiceGroup, error) {
	var g ServiceGroup
	if err := s.do(ctx, http.MethodGet, s.url(p, nil), nil, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// PutServiceMetadata implements Store. The server validates the metadata
// (Validate, DER certificates).
func (s *RemoteStore) PutServiceMetadata(ctx context.Context, m *ServiceMetadata) error {
	return s.do(ctx, http.MethodPut, s.url(m.Participant, &m.DocumentType), m, nil)
}

// DeleteServiceMetadata implements Store.
func (s *RemoteStore) DeleteServiceMetadata(ctx context.Context, p, d ID) error {
	return s.do(ctx, http.MethodDelete, s.url(p, &d), nil, nil)
}

// ServiceMetadata implements Store.
func (s *RemoteStore) ServiceMetadata(ctx context.Context, p, d ID) (*ServiceMetadata, error) {
	var m ServiceMetadata
	if err := s.do(ctx, http.MethodGet, s.url(p, &d), nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Participants implements Store.
func (s *RemoteStore) Participants(ctx context.Context) ([]ID, error) {
	var list []string
	if err := s.do(ctx, http.MethodGet, s.url(ID{}, nil), nil, &list); err != nil {
		return nil, err
	}
	ids := make([]ID, 0, len(list))
	for _, v := range list {
		id, err := ParseID(v)
		if err != nil {
			return nil, errors.Join(errors.New("smp: management API answer"), err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
