//go:build !ootsfault

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestNoFaultFlag: a normal build's "oots serve" and "oots demo" have no
// -fault flag; only a binary built with the ootsfault tag can give an
// access point a deliberate defect.
func TestNoFaultFlag(t *testing.T) {
	for _, cmd := range []string{"serve", "demo"} {
		var stderr bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &stderr, Stderr: &stderr, Getenv: func(string) string { return "" }}
		code := Main(context.Background(), env, []string{cmd, "-fault", "no-dedup"})
		if code != 2 || !strings.Contains(stderr.String(), "flag provided but not defined: -fault") {
			t.Errorf("oots %s -fault: exit %d, %q; want 2 and an undefined flag", cmd, code, stderr.String())
		}
	}
}
