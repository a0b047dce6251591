package swa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

// python runs a Python 3 script that reads JSON on its standard input and
// writes JSON on its standard output: the witness of these tests is
// Python's email package (and urllib.parse), an implementation of the same
// RFCs written independently of this one.
func python(t *testing.T, script string, in, out any) {
	t.Helper()
	py := testenv.Python(t, "email", "urllib.parse")
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	res, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.Bytes())
	}
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatalf("python answered %q: %v", res, err)
	}
}

// pyMsgID reads each Content-ID value with the msg-id parser of Python's
// email package (RFC 5322 §3.6.4 with its comments, §3.2.2). A value is
// accepted when the parser reads all of it without a defect other than the
// obsolete syntax and an id without "@" (SwA Content-IDs such as <root>
// often have none); the id is the msg-id without its comments and angle
// brackets.
const pyMsgID = `
import json, sys
from email._header_value_parser import get_msg_id
from email import errors
out = []
for v in json.load(sys.stdin):
    try:
        tok, rest = get_msg_id(v)
    except Exception as e:
        out.append({"ok": False, "why": "%s: %s" % (type(e).__name__, e)})
        continue
    bad = [str(d) for d in tok.all_defects
           if not isinstance(d, errors.ObsoleteHeaderDefect) and str(d) != "msg-id with no id-right"]
    if rest or bad:
        out.append({"ok": False, "why": "rest %r, defects %r" % (rest, bad)})
        continue
    s = "".join(str(t) for t in tok if t.token_type != "cfws")
    out.append({"ok": True, "id": s[1:-1]})
json.dump(out, sys.stdout)
`

// msgIDCases are Content-ID values and what Read takes from them. py is
// empty when Python's email package must read the value the same way
// (accept it with the same id, or refuse it); otherwise it says why this
// reader accepts what Python's refuses.
var msgIDCases = []struct {
	v, want string
	err     string // a part of the error, when the value is refused
	py      string
}{
	{v: "<a@x>", want: "a@x"},
	{v: " <a@x> ", want: "a@x"},
	{v: "<a@x> (comment)", want: "a@x"},
	{v: "(c) <a@x>", want: "a@x"},
	{v: "(c)<a@x>(d)", want: "a@x"},
	{v: "\t<a@x>\t(c)\t", want: "a@x"},
	{v: "<a@x> (c) (d)", want: "a@x"},
	{v: "(a (b) c) <a@x> (d (e (f)))", want: "a@x"},
	{v: `<a@x> (q \) \( \\ )`, want: "a@x"},
	{v: "<a@x> (c>)", want: "a@x"},
	{v: "(see <b@x>) <a@x>", want: "a@x"},
	{v: `<payload-1.xml@oots.example> (the "query")`, want: "payload-1.xml@oots.example"},
	{v: "<a@x> (été)", want: "a@x"},
	{v: "<cid-é@x>", want: "cid-é@x"},
	{v: "<foo%40bar@x>", want: "foo%40bar@x"}, // a Content-ID is not URL-encoded
	{v: "<root>", want: "root"},
	{v: `<"a>b"@x>`, want: `"a>b"@x`},     // obsolete quoted id-left
	{v: `<"q s"@x> (c)`, want: `"q s"@x`}, // obsolete quoted id-left
	{v: `<"a\"b"@x>`, want: `"a\"b"@x`},
	{v: "<a@[x>y]>", want: "a@[x>y]"}, // domain literal
	{v: "<a@x> junk", err: `"junk" follows the msg-id "<a@x>"`},
	{v: "<a@x> <b@x>", err: `"<b@x>" follows the msg-id`},
	{v: "<a@x>>", err: `">" follows the msg-id`},
	{v: "<a@x> )", err: `")" follows the msg-id`},
	{v: "<a@x> (c))", err: `")" follows the msg-id`},
	{v: `<a@x> \(c)`, err: `"\\(c)" follows the msg-id`},
	{v: `<a@x> (a "quoted ) string")`, err: `follows the msg-id`},
	{v: "(c <a@x>", err: `comment "(c <a@x>" is not closed`},
	{v: "<a@x> (c", err: `comment "(c" is not closed`},
	{v: `<a@x> (\)`, err: "is not closed"},
	{v: "<a@x> ((c)", err: "is not closed"},

	{v: "", want: "", py: "no Content-ID: an attachment without one is refused, the root part may lack one"},
	{v: "(only a comment)", want: "", py: "no Content-ID"},
	{v: "<>", want: "", py: "an empty id: refused for an attachment (Python's parser raises IndexError on it)"},
	{v: "a@x", want: "a@x", py: "without angle brackets, as some senders write it and as this reader read it before"},
	{v: "a@x (c)", want: "a@x", py: "without angle brackets"},
	{v: "<a@x", want: "a@x", py: "without the closing '>' (Python reads it too, with a defect)"},
	{v: "<root> (c)", want: "root", py: "Python does not read a comment after an id without id-right"},
	{v: "<a(1)@x>", want: "a(1)@x", py: "between the brackets the id is taken as written, as before"},
	{v: "<a b@x>", want: "a b@x", py: "between the brackets the id is taken as written"},
	{v: "< a@x >", want: " a@x ", py: "between the brackets the id is taken as written"},
	{v: `<a\b@x>`, want: `a\b@x`, py: "between the brackets the id is taken as written"},
	{v: "<<a@x>", want: "<a@x", py: "between the brackets the id is taken as written (Python's parser raises IndexError on it)"},
	{v: "a@x junk", err: `"junk" follows the msg-id "a@x"`, py: "without angle brackets"},
	{v: "file(1).pdf", want: "file(1).pdf", py: "without angle brackets, one word: the id as it is, as this reader read it before"},
	{v: "(c) file(1).pdf", want: "file(1).pdf", py: "without angle brackets, one word after a comment"},
}

func TestMsgID(t *testing.T) {
	for _, c := range msgIDCases {
		got, err := msgID(c.v)
		switch {
		case c.err != "" && err == nil:
			t.Errorf("msgID(%q) = %q, want an error %q", c.v, got, c.err)
		case c.err != "" && !strings.Contains(err.Error(), c.err):
			t.Errorf("msgID(%q): error %q, want %q in it", c.v, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("msgID(%q) = %q, %v; want %q", c.v, got, err, c.want)
		}
	}
}

// TestMsgIDPython: Python's email package reads the Content-ID values of
// msgIDCases as the table says (the table is what TestMsgID holds msgID to).
func TestMsgIDPython(t *testing.T) {
	var in []string
	for _, c := range msgIDCases {
		in = append(in, c.v)
	}
	var out []struct {
		OK  bool   `json:"ok"`
		ID  string `json:"id"`
		Why string `json:"why"`
	}
	python(t, pyMsgID, in, &out)
	if len(out) != len(in) {
		t.Fatalf("python answered %d values for %d", len(out), len(in))
	}
	for i, c := range msgIDCases {
		py := out[i]
		if c.py != "" {
			t.Logf("%q: Python: ok %v %q %s; here %q %q (%s)", c.v, py.OK, py.ID, py.Why, c.want, c.err, c.py)
			continue
		}
		switch {
		case c.err != "" && py.OK:
			t.Errorf("%q: Python reads the id %q, the table refuses it (%s)", c.v, py.ID, c.err)
		case c.err == "" && !py.OK:
			t.Errorf("%q: Python refuses it (%s), the table reads %q", c.v, py.Why, c.want)
		case c.err == "" && py.ID != c.want:
			t.Errorf("%q: Python reads %q, the table %q", c.v, py.ID, c.want)
		}
	}
}

// TestContentTypeComments: mime.ParseMediaType reads no comments (RFC 2045
// §5.1 allows them in Content-Type); uncomment removes them, and then the
// media type and parameters are those Python's email package reads. The
// same for Content-Transfer-Encoding (§6.1).
func TestContentTypeComments(t *testing.T) {
	types := []string{
		"application/soap+xml (c)",
		"application/soap+xml; charset=UTF-8 (the envelope)",
		"application/soap+xml (c); charset=UTF-8",
		"(c) application/soap+xml",
		"application/soap+xml; (c) charset=UTF-8",
		"application/soap+xml; charset=(c)UTF-8",
		`application/soap+xml; charset="UTF-8" (c)`,
		`application/soap+xml; charset=UTF-8 (a (nested) \) c)`,
		`application/x-ebrs+xml (the "query")`,
		`text/plain; name="a(b).txt" (c)`,
		"text/(c)xml",
		"text/xml(c);charset=utf-8",
	}
	ctes := []string{"binary (c)", "(c) 8bit", "BINARY (a (b) c)", "7bit(c)"}
	var out struct {
		Types []struct {
			Type    string            `json:"type"`
			Params  map[string]string `json:"params"`
			Defects []string          `json:"defects"`
		} `json:"types"`
		CTEs []struct {
			CTE     string   `json:"cte"`
			Defects []string `json:"defects"`
		} `json:"ctes"`
	}
	python(t, `
import json, sys, email.policy
hf = email.policy.default.header_factory
d = json.load(sys.stdin)
types = []
for v in d["types"]:
    h = hf("content-type", v)
    types.append({"type": h.content_type, "params": dict(h.params), "defects": [str(x) for x in h.defects]})
ctes = []
for v in d["ctes"]:
    h = hf("content-transfer-encoding", v)
    ctes.append({"cte": h.cte, "defects": [str(x) for x in h.defects]})
json.dump({"types": types, "ctes": ctes}, sys.stdout)
`, map[string][]string{"types": types, "ctes": ctes}, &out)
	for i, v := range types {
		want := out.Types[i]
		if len(want.Defects) > 0 {
			t.Errorf("%q: Python finds defects %q", v, want.Defects)
		}
		if mt, params, err := mime.ParseMediaType(v); err == nil && mt == want.Type && reflect.DeepEqual(params, want.Params) {
			t.Logf("%q: mime.ParseMediaType reads it by itself", v)
		}
		u, err := uncomment(v)
		if err != nil {
			t.Errorf("uncomment(%q): %v", v, err)
			continue
		}
		mt, params, err := mime.ParseMediaType(u)
		if err != nil || mt != want.Type || !reflect.DeepEqual(params, want.Params) {
			t.Errorf("%q → %q → %q %v (%v); Python: %q %v", v, u, mt, params, err, want.Type, want.Params)
		}
	}
	for i, v := range ctes {
		u, err := uncomment(v)
		if got := strings.ToLower(u); err != nil || got != out.CTEs[i].CTE {
			t.Errorf("Content-Transfer-Encoding %q → %q (%v); Python: %q", v, got, err, out.CTEs[i].CTE)
		}
	}
	// A comment that is not closed: Python reads it with a defect, here it
	// is an error.
	if _, err := uncomment("text/xml (c"); err == nil || !strings.Contains(err.Error(), `comment "(c" is not closed`) {
		t.Errorf("unclosed comment: %v", err)
	}
	// Inside a quoted string parentheses are text.
	if u, err := uncomment(`a/b; x="(y)"`); err != nil || u != `a/b; x="(y)"` {
		t.Errorf("quoted parentheses: %q, %v", u, err)
	}
}

// TestReadPythonPackage: a multipart/related package written by Python's
// email package, with comments in the Content-ID, Content-Type and
// Content-Transfer-Encoding fields of its parts, reads here as Python's own
// parser reads it back: the same root (found by the start parameter through
// the commented Content-ID), Content-IDs, media types and contents.
func TestReadPythonPackage(t *testing.T) {
	var pkg struct {
		ContentType string `json:"content_type"`
		Body        []byte `json:"body"`
		Parts       []struct {
			ID      string            `json:"id"`
			Type    string            `json:"type"`
			Params  map[string]string `json:"params"`
			CTE     string            `json:"cte"`
			Content []byte            `json:"content"`
		} `json:"parts"`
	}
	python(t, `
import base64, json, sys
from email import errors, policy
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.parser import BytesParser
from email._header_value_parser import get_msg_id

def part(headers, body):
    m = Message()
    for k, v in headers:
        m[k] = v
    m.set_payload(body)
    return m

pkg = MIMEMultipart("related", boundary="py-boundary-1", type="application/soap+xml", start="<root@py.example>")
for headers, body in json.load(sys.stdin):
    pkg.attach(part(headers, body))
raw = pkg.as_bytes(policy=policy.compat32.clone(linesep="\r\n", max_line_length=0))
head, body = raw.split(b"\r\n\r\n", 1)

back = BytesParser(policy=policy.default).parsebytes(raw)
parts = []
for p in back.iter_parts():
    tok, rest = get_msg_id(str(p["Content-ID"]))
    assert not rest and not [d for d in tok.all_defects if not isinstance(d, errors.ObsoleteHeaderDefect)], (p["Content-ID"], rest, tok.all_defects)
    ident = "".join(str(t) for t in tok if t.token_type != "cfws")[1:-1]
    cte = p["Content-Transfer-Encoding"]
    # The structured header (policy.default) reads comments; Message.get_content_type
    # splits the raw value at ";" and keeps them.
    parts.append({"id": ident, "type": p["Content-Type"].content_type, "params": dict(p["Content-Type"].params),
                  "cte": cte.cte if cte is not None else "",
                  "content": base64.b64encode(p.get_payload(decode=True)).decode()})
json.dump({"content_type": str(back["Content-Type"]), "body": base64.b64encode(body).decode(), "parts": parts}, sys.stdout)
`, [][2]any{
		{[][2]string{
			{"Content-Type", "application/soap+xml; charset=UTF-8 (the envelope)"},
			{"Content-Transfer-Encoding", "binary (as sent)"},
			{"Content-ID", "<root@py.example> (root (the SOAP part))"},
		}, `<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><S12:Body/></S12:Envelope>`},
		{[][2]string{
			{"Content-Type", "application/xml (a (nested) comment)"},
			{"Content-Transfer-Encoding", "(c) 8bit"},
			{"Content-ID", `(first) <query@py.example> (the "query" \) part)`},
		}, `<q:Query xmlns:q="urn:q"/>`},
		{[][2]string{
			{"Content-Type", `text/plain; charset="utf-8" (c)`},
			{"Content-ID", "<b@py.example>"},
		}, "plain text\r\n"},
		{[][2]string{
			{"Content-Type", "application/octet-stream"},
			{"Content-ID", `<"q s"@py.example> (obsolete quoted id-left)`},
		}, "octets"},
	}, &pkg)

	m, err := Read(bytes.NewReader(pkg.Body), pkg.ContentType, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Parts) != len(pkg.Parts)-1 {
		t.Fatalf("%d attachments, Python reads %d parts", len(m.Parts), len(pkg.Parts))
	}
	if !bytes.Equal(m.Envelope, pkg.Parts[0].Content) {
		t.Errorf("envelope %q, Python: %q", m.Envelope, pkg.Parts[0].Content)
	}
	check := func(what string, h map[string][]string, want struct {
		ID      string            `json:"id"`
		Type    string            `json:"type"`
		Params  map[string]string `json:"params"`
		CTE     string            `json:"cte"`
		Content []byte            `json:"content"`
	}) {
		mt, params, err := mime.ParseMediaType(h["Content-Type"][0])
		if err != nil || mt != want.Type || !reflect.DeepEqual(params, want.Params) {
			t.Errorf("%s: Content-Type %q → %q %v (%v); Python: %q %v", what, h["Content-Type"][0], mt, params, err, want.Type, want.Params)
		}
		cte := strings.ToLower(strings.Join(h["Content-Transfer-Encoding"], ""))
		if cte != want.CTE {
			t.Errorf("%s: Content-Transfer-Encoding %q; Python: %q", what, cte, want.CTE)
		}
	}
	check("root", m.EnvelopeHeader, pkg.Parts[0])
	for i, p := range m.Parts {
		want := pkg.Parts[i+1]
		if p.ContentID != want.ID {
			t.Errorf("attachment %d: Content-ID %q; Python: %q", i, p.ContentID, want.ID)
		}
		check(fmt.Sprintf("attachment %q", p.ContentID), p.Header, want)
		if got := content(t, p); !bytes.Equal(got, want.Content) {
			t.Errorf("attachment %q: content %q; Python: %q", p.ContentID, got, want.Content)
		}
	}
}

// TestResolveCID: a cid: URL names its part by the content-id as written,
// or else percent-decoded (RFC 2392 §2). The URLs are written by Python's
// urllib.parse.quote from the Content-IDs, and the decoded form is checked
// against urllib.parse.unquote.
func TestResolveCID(t *testing.T) {
	ids := []string{
		"foo@bar.example", "payload 1@oots", "100%@x", "a/b@x", "été@x", "a+b@x",
		`"q s"@x`, "a%40b@x", "<a@x>", "a?b#c@x", "",
	}
	var out struct {
		Quoted  []string `json:"quoted"`  // quote(id, safe=""): every reserved character escaped
		Default []string `json:"default"` // quote(id): "/" kept
		Decoded []string `json:"decoded"` // unquote of each href below
	}
	hrefs := []string{"cid:foo%40bar.example", "cid:a%2Bb", "cid:a+b", "cid:%C3%A9t%c3%a9@x", "cid:%3Ca%40x%3E", "cid:a%2540b"}
	python(t, `
import json, sys
from urllib.parse import quote, unquote
d = json.load(sys.stdin)
json.dump({"quoted": [quote(i, safe="") for i in d["ids"]], "default": [quote(i) for i in d["ids"]],
           "decoded": [unquote(h[4:]) for h in d["hrefs"]]}, sys.stdout)
`, map[string][]string{"ids": ids, "hrefs": hrefs}, &out)
	only := func(id string) func(string) bool { return func(s string) bool { return s == id } }
	for i, id := range ids {
		for _, u := range []string{"cid:" + out.Quoted[i], "cid:" + out.Default[i], "cid:" + id} {
			if got, err := ResolveCID(u, only(id)); err != nil || got != id {
				t.Errorf("ResolveCID(%q) among {%q} = %q, %v", u, id, got, err)
			}
		}
	}
	for i, h := range hrefs {
		want := out.Decoded[i]
		if got, err := ResolveCID(h, only(want)); err != nil || got != want {
			t.Errorf("ResolveCID(%q) among {%q} (Python's unquote) = %q, %v", h, want, got, err)
		}
	}

	has := func(ids ...string) func(string) bool {
		return func(s string) bool {
			for _, id := range ids {
				if s == id {
					return true
				}
			}
			return false
		}
	}
	for _, c := range []struct {
		u    string
		has  func(string) bool
		want string
		err  string
	}{
		// The form as written first: phase4 and this module write it.
		{"cid:a%40b", has("a%40b", "a@b"), "a%40b", ""},
		{"cid:a@b", has("a%40b", "a@b"), "a@b", ""},
		{"cid:a%40b", has("a@b"), "a@b", ""},
		{"cid:100%", has("100%"), "100%", ""},
		// '+' is a plus sign, not a space (RFC 3986 percent-encoding is
		// not the form encoding of HTML).
		{"cid:a+b", has("a b"), "", ""},
		{"cid:a%20b", has("a b"), "a b", ""},
		{"cid:elsewhere", has("a@b"), "", ""},
		{"cid:a%40c", has("a@b"), "", ""},
		{"cid:a%zz@b", has("a@b"), "", `"cid:a%zz@b": malformed percent escape "%zz"`},
		{"cid:a%4", has("a@b"), "", `"cid:a%4": malformed percent escape "%4"`},
		{"cid:100%", has("100"), "", `"cid:100%": malformed percent escape "%"`},
		{"http://x/a", has("a"), "", `"http://x/a": not a cid: URL`},
	} {
		got, err := ResolveCID(c.u, c.has)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ResolveCID(%q) = %q, %v; want error %q", c.u, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ResolveCID(%q) = %q, %v; want %q", c.u, got, err, c.want)
		}
	}
}

// comment returns s as the text of a comment: parentheses and backslashes
// quoted, line breaks (which a header field cannot hold) made spaces.
func comment(s string) string {
	s = strings.NewReplacer("\\", `\\`, "(", `\(`, ")", `\)`, "\r", " ", "\n", " ").Replace(s)
	return "(" + s + ")"
}

func FuzzMsgID(f *testing.F) {
	for _, c := range msgIDCases {
		f.Add(c.v, "a comment")
	}
	f.Add("<a@x>", `nested (deeper (deepest)) \) "q" <b@y>`)
	f.Add(`<"a>b"@x> (c>)`, `x">`)
	f.Add("<a@x> (unclosed", "")
	f.Add("(\\", "\\")
	f.Fuzz(func(t *testing.T, v, note string) {
		id, err := msgID(v)
		if err == nil && id != "" {
			// What was read, written back in angle brackets, reads the same.
			if again, err := msgID("<" + id + ">"); err != nil || again != id {
				t.Fatalf("msgID(%q) = %q, but msgID(<%s>) = %q, %v", v, id, id, again, err)
			}
		}
		// Any id without '>' or line breaks, between comments and white
		// space, reads as itself.
		id = strings.NewReplacer(">", "", "\r", "", "\n", "").Replace(v)
		c := comment(note)
		for _, dressed := range []string{
			"<" + id + ">",
			c + "<" + id + ">" + c,
			" \t" + c + " <" + id + "> " + c + " " + c + "\t",
			"(" + c + ")<" + id + ">(" + c + c + ")",
		} {
			if got, err := msgID(dressed); err != nil || got != id {
				t.Fatalf("msgID(%q) = %q, %v; want %q", dressed, got, err, id)
			}
		}
	})
}

func FuzzUncomment(f *testing.F) {
	for _, s := range []string{
		"application/soap+xml; charset=UTF-8", `text/plain; name="a (b).txt"`, `a/b; x="y\"z"`,
		"text/xml (c)", "text/(c)xml", "(c", `a/b; x="unclosed`, `a/b (\)`, "binary", "",
	} {
		f.Add(s, "a (nested) comment")
	}
	f.Fuzz(func(t *testing.T, v, note string) {
		u, err := uncomment(v)
		if err != nil {
			if !strings.Contains(v, "(") {
				t.Fatalf("uncomment(%q): %v, and it has no comment", v, err)
			}
			return
		}
		if !strings.Contains(v, "(") && u != v {
			t.Fatalf("uncomment(%q) = %q: changed a value without comments", v, u)
		}
		if again, err := uncomment(u); err != nil || again != u {
			t.Fatalf("uncomment(%q) = %q, and again %q, %v", v, u, again, err)
		}
		// A media type that parses parses to the same with comments
		// around it and after it.
		mt, params, err := mime.ParseMediaType(v)
		if err != nil {
			return
		}
		c := comment(note)
		for _, dressed := range []string{v + c, v + " " + c, c + v, c + " " + v + " " + c + c} {
			u, err := uncomment(dressed)
			if err != nil {
				t.Fatalf("uncomment(%q): %v", dressed, err)
			}
			mt2, params2, err := mime.ParseMediaType(u)
			if err != nil || mt2 != mt || !reflect.DeepEqual(params2, params) {
				t.Fatalf("%q parses to %q %v; %q → %q → %q %v (%v)", v, mt, params, dressed, u, mt2, params2, err)
			}
		}
	})
}

func FuzzResolveCID(f *testing.F) {
	for _, s := range []string{"foo@bar.example", "100%", "a%40b", "a%zz", "é", "", "a b+c"} {
		f.Add(s, "cid:"+s, false)
	}
	f.Add("a@b", "cid:a%40b", true)
	f.Add("a@b", "cid:a%4", true)
	f.Add("a@b", "CID:a%40b", false)
	f.Fuzz(func(t *testing.T, id, u string, upper bool) {
		has := func(s string) bool { return s == id }
		// The Content-ID as written, and every octet of it percent-encoded.
		var enc strings.Builder
		for i := 0; i < len(id); i++ {
			if upper {
				fmt.Fprintf(&enc, "%%%02X", id[i])
			} else {
				fmt.Fprintf(&enc, "%%%02x", id[i])
			}
		}
		for _, href := range []string{"cid:" + id, "cid:" + enc.String(), "cid:" + url.PathEscape(id), "CID:" + id, "Cid:" + enc.String()} {
			if got, err := ResolveCID(href, has); err != nil || got != id {
				t.Fatalf("ResolveCID(%q) among {%q} = %q, %v", href, id, got, err)
			}
		}
		// Any URL: a part that is there, the form as written first, an
		// error only for what cannot be decoded.
		got, err := ResolveCID(u, has)
		isCID := len(u) >= 4 && strings.EqualFold(u[:4], "cid:") // the scheme in any case, RFC 3986 §3.1
		var raw string
		if isCID {
			raw = u[4:]
		}
		switch {
		case !isCID:
			if err == nil {
				t.Fatalf("ResolveCID(%q) = %q: not a cid: URL, no error", u, got)
			}
		case raw == id:
			if err != nil || got != id {
				t.Fatalf("ResolveCID(%q) among {%q} = %q, %v", u, id, got, err)
			}
		case err != nil:
			if _, perr := url.PathUnescape(raw); perr == nil {
				t.Fatalf("ResolveCID(%q): %v, yet it decodes", u, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", u)) {
				t.Fatalf("error %q does not name %q", err, u)
			}
		case got != "" && got != id:
			t.Fatalf("ResolveCID(%q) among {%q} = %q", u, id, got)
		}
	})
}

// TestResolveCIDSchemeCase: URL schemes are case-insensitive (RFC 3986
// §3.1), so "CID:" and "Cid:" begin cid: URLs (RFC 2392) as "cid:" does.
// Python's urllib.parse reads the scheme and the content-id of each URL;
// ResolveCID must name the part Python names, and refuse what Python says
// is not a cid: URL.
func TestResolveCIDSchemeCase(t *testing.T) {
	urls := []string{"CID:foo@bar.example", "Cid:foo%40bar.example", "cId:a%2Bb@x", "CID:", "cid:a@x", "CIDX:a@x", "ci:d", "C ID:a@x"}
	var out []struct {
		Scheme string `json:"scheme"`
		ID     string `json:"id"`
	}
	python(t, `
import json, sys
from urllib.parse import urlsplit, unquote
out = []
for u in json.load(sys.stdin):
    s = urlsplit(u)
    out.append({"scheme": s.scheme, "id": unquote(s.path)})
json.dump(out, sys.stdout)
`, urls, &out)
	for i, u := range urls {
		id := out[i].ID
		got, err := ResolveCID(u, func(s string) bool { return s == id })
		if out[i].Scheme != "cid" {
			if err == nil {
				t.Errorf("ResolveCID(%q) = %q, nil; Python reads the scheme %q", u, got, out[i].Scheme)
			}
			continue
		}
		if err != nil || got != id {
			t.Errorf("ResolveCID(%q) among {%q} = %q, %v; Python reads scheme cid, content-id %q", u, id, got, err, id)
		}
		if raw, ok := CutCID(u); !ok || raw != u[4:] {
			t.Errorf("CutCID(%q) = %q, %v", u, raw, ok)
		}
	}
}

// TestContentTypeSlashLWS: RFC 2045 §5.1 reads a Content-Type as RFC 822
// tokens, between which linear white space (folding included) may stand:
// "text / xml" is text/xml. mime.ParseMediaType refuses it; Read reads the
// root part and every attachment as Python's email package (its header
// registry, which follows RFC 2045 and 5322) reads them. What is not two
// tokens around the "/" stays as it is, an unreadable media type that an
// attachment may have (RFC 2045 §5.2).
func TestContentTypeSlashLWS(t *testing.T) {
	values := []string{
		"text / xml",
		"text/ xml; charset=utf-8",
		"text /xml;charset=utf-8",
		"application\t/\tx-ebrs+xml ; charset = UTF-8",
		"application /\r\n pdf",
		"text (a comment) / (another) xml",
		" application / soap+xml; charset=UTF-8",
		"text/xml",
	}
	var out []struct {
		Type    string            `json:"type"`
		Params  map[string]string `json:"params"`
		Defects []string          `json:"defects"`
	}
	python(t, `
import json, sys, email, email.policy
out = []
for v in json.load(sys.stdin):
    h = email.message_from_string("Content-Type: " + v + "\r\n\r\nx", policy=email.policy.default)["content-type"]
    out.append({"type": h.content_type, "params": dict(h.params), "defects": [str(x) for x in h.defects]})
json.dump(out, sys.stdout)
`, values, &out)
	const boundary = "b1"
	related := `multipart/related; boundary="` + boundary + `"; type="application/soap+xml"`
	for i, v := range values {
		want := out[i]
		if len(want.Defects) > 0 {
			t.Errorf("%q: Python finds defects %q", v, want.Defects)
		}
		root := "Content-Type: application / soap+xml; charset=UTF-8\r\nContent-ID: <root>\r\n\r\n<e/>"
		att := "Content-Type: " + v + "\r\nContent-ID: <a>\r\n\r\nx"
		m, err := Read(bytes.NewReader(rawPackage(boundary, root, att)), related, nil)
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		mt, params, err := mime.ParseMediaType(m.Parts[0].Header.Get("Content-Type"))
		m.Close()
		if err != nil || mt != want.Type || !reflect.DeepEqual(params, want.Params) {
			t.Errorf("%q is read as %q %v (%v); Python: %q %v", v, mt, params, err, want.Type, want.Params)
		}
	}
	for _, v := range []string{"te xt/xml", "text/x ml", "text / ", "/ xml", "text / x/ml"} {
		if got := slashLWS(v); got != v {
			t.Errorf("slashLWS(%q) = %q, want it as it is", v, got)
		}
	}
}

func FuzzSlashLWS(f *testing.F) {
	for _, s := range []string{"text / xml", "text/xml; charset=utf-8", " a /\r\n b ;c=d", "te xt/xml", "a/b/c", ";/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		u := slashLWS(v)
		if again := slashLWS(u); again != u {
			t.Fatalf("slashLWS(%q) = %q, and again %q", v, u, again)
		}
		// What parsed parses the same; what changed parses.
		mt, params, err := mime.ParseMediaType(v)
		mt2, params2, err2 := mime.ParseMediaType(u)
		if err == nil && (err2 != nil || mt2 != mt || !reflect.DeepEqual(params, params2)) {
			t.Fatalf("%q parses to %q %v; %q to %q %v (%v)", v, mt, params, u, mt2, params2, err2)
		}
		if u != v && strings.ContainsAny(u[:strings.IndexByte(u+";", ';')], " \t\r\n") {
			t.Fatalf("slashLWS(%q) = %q keeps white space in the media type", v, u)
		}
	})
}
