package pdf

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	var long []string
	for i := range 130 {
		long = append(long, "Line "+strconv.Itoa(i)+" (with parentheses) and a backslash \\ and Müller, Weiß, Öztürk, Łukasz")
	}
	for name, lines := range map[string][]string{
		"empty": nil, "one": {"Family name: Müller"}, "pages": long,
		"wrapped": {strings.Repeat("word ", 60)},
	} {
		t.Run(name, func(t *testing.T) {
			b := Text("Certificate of birth", lines)
			if err := Check(b); err != nil {
				t.Fatal(err)
			}
			if name == "pages" && !bytes.Contains(b, []byte("/Count 3")) {
				t.Errorf("130 lines should take 3 pages")
			}
		})
	}
	// Latin-1 letters are written in WinAnsiEncoding (octal escapes),
	// others become "?".
	b := string(Text("T", []string{"Müller Ł"}))
	if !strings.Contains(b, `(M\374ller ?) Tj`) {
		t.Errorf("text encoding: %s", b)
	}
}

// TestTitleWrapped: a title longer than a line at 16 pt is wrapped at a
// space, each line of it shown in full (none cut at the page's edge), in
// the document's information too; the first page then holds fewer lines
// of text, so that none falls below the margin.
func TestTitleWrapped(t *testing.T) {
	title := "Extrait Kbis (Extract of registration in the trade and companies register)"
	var lines []string
	for i := range linesPerPage {
		lines = append(lines, "Line "+strconv.Itoa(i))
	}
	b := string(Text(title, lines))
	if err := Check([]byte(b)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/Title (Extrait Kbis \\(Extract of registration in the trade and companies register\\))",
		"/F1 16 Tf\n(Extrait Kbis \\(Extract of registration in the trade and) Tj\n0 -18 Td\n(companies register\\)) Tj\nT*\nT*\n/F1 11 Tf\n"} {
		if !strings.Contains(b, want) {
			t.Errorf("the document lacks %q:\n%s", want, b)
		}
	}
	if !strings.Contains(b, "/Count 2") {
		t.Errorf("%d lines under a title of two lines should take 2 pages", len(lines))
	}
	// A title of one line leaves the first page as it was.
	if b := string(Text("Certificate of birth", lines)); !strings.Contains(b, "/Count 1") || strings.Contains(b, " Td\n(Certificate") {
		t.Errorf("a title of one line: %s", b)
	}
}

// TestCheck: each kind of damage is found.
func TestCheck(t *testing.T) {
	good := Text("Certificate of birth", []string{"Family name: Müller", "Given name: Anna"})
	for name, damage := range map[string]func(b []byte) []byte{
		"header":    func(b []byte) []byte { return append([]byte("%PDF-1.7\n"), b[len("%PDF-1.4\n"):]...) },
		"truncated": func(b []byte) []byte { return b[:len(b)-10] },
		"startxref": func(b []byte) []byte {
			i := bytes.LastIndex(b, []byte("startxref\n"))
			return append(append(b[:i:i], "startxref\n12\n"...), "%%EOF\n"...)
		},
		"object moved": func(b []byte) []byte { return bytes.Replace(b, []byte("/Type /Catalog"), []byte("/Type  /Catalog"), 1) },
		"stream length": func(b []byte) []byte {
			return bytes.Replace(b, []byte("ET\nendstream"), []byte("ET\n\nendstream"), 1)
		},
		"trailer size": func(b []byte) []byte {
			return bytes.Replace(b, []byte("trailer\n<< /Size 7"), []byte("trailer\n<< /Size 8"), 1)
		},
	} {
		t.Run(name, func(t *testing.T) {
			bad := damage(bytes.Clone(good))
			if bytes.Equal(bad, good) {
				t.Fatal("the damage changed nothing")
			}
			if err := Check(bad); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Check = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want []string
	}{
		{"", 10, []string{""}},
		{"short", 10, []string{"short"}},
		{"one two three", 7, []string{"one", "two", "three"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"Öztürk Łukasz", 7, []string{"Öztürk", "Łukasz"}},
	} {
		got := wrap(c.in, c.n)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
