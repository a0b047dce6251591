package conformance

import (
	"strings"
	"testing"
)

const loginPage = `<main><form method="post" action="/authorize?x=1&amp;y=2">
<input type="hidden" name="csrf" value="abc&amp;def">
<input type="hidden" name="state" value="DE.s1">
<input type="radio" name="account" id="account" value="3f8a2c61d9">
<input type="password" name="pin" id="pin" required>
<button type="submit" name="action" value="login">Log in</button></form></main>`

func TestFindForm(t *testing.T) {
	f, ok := findForm(`<form action="/other"><input type="hidden" name="q" value="1"></form>`+loginPage, `name="pin"`)
	if !ok {
		t.Fatal("the login form is not found")
	}
	if f.action != "/authorize?x=1&y=2" {
		t.Errorf("action %q", f.action)
	}
	v := f.hidden()
	if v.Get("csrf") != "abc&def" || v.Get("state") != "DE.s1" || v.Has("account") || v.Has("q") {
		t.Errorf("hidden inputs %v", v)
	}
	if _, ok := findForm(loginPage, `name="decision"`); ok {
		t.Error("a form without the marker is found")
	}
	p := &page{body: loginPage}
	if got := p.text(); !strings.Contains(got, "Log in") || strings.Contains(got, "<") {
		t.Errorf("text %s", got)
	}
}

// FuzzFindForm: any page gives a form or none, never a panic, and the text
// of an error message stays short.
func FuzzFindForm(f *testing.F) {
	f.Add(loginPage, `name="pin"`)
	f.Add(`<form action="/preview/t/decide"><input type="hidden" name="csrf" value="x"><button name="decision" value="approve">`, `name="decision"`)
	f.Add(`<form><form action="`, `<`)
	f.Fuzz(func(t *testing.T, body, marker string) {
		if fm, ok := findForm(body, marker); ok {
			fm.hidden()
		}
		if got := (&page{body: body}).text(); len(got) > 2000 {
			t.Fatalf("text of %d bytes", len(got))
		}
	})
}
