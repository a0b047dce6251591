package cidurl

import (
	"net/url"
	"testing"
)

// TestCut: what begins a cid: URL agrees with Go's URL parser, which
// lower-cases the scheme as RFC 3986 §3.1 allows, on the forms that reach
// an AS4 reader.
func TestCut(t *testing.T) {
	for _, u := range []string{"cid:a@b", "CID:a@b", "Cid:a%40b", "cid:", "cid", "cidx:a", "mid:a@b", "", "c:a", "http://x/cid:a", " cid:a", "cId:a b"} {
		id, ok := Cut(u)
		p, err := url.Parse(u)
		want := err == nil && p.Scheme == "cid"
		if ok != want || Is(u) != want {
			t.Errorf("Cut(%q) = %v, Go's parser says scheme %q (%v)", u, ok, p.Scheme, err)
		}
		if ok && "cid:"+id != "cid:"+u[4:] {
			t.Errorf("Cut(%q) = %q", u, id)
		}
	}
}

func FuzzCut(f *testing.F) {
	for _, s := range []string{"cid:a@b", "CID:", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		id, ok := Cut(u)
		if ok && (len(u) < 4 || u[4:] != id) {
			t.Fatalf("Cut(%q) = %q", u, id)
		}
		if !ok && id != "" {
			t.Fatalf("Cut(%q) = %q, false", u, id)
		}
	})
}
