package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// runPKI makes test keys and certificates (package pki) as PEM files:
//
//	oots pki ca    -profile rsa|eddsa [-name CN] -out DIR
//	oots pki issue -profile rsa|eddsa -ca DIR -name AP_FR_01 -out DIR
//	oots pki crl   -ca DIR [-number N] -out FILE CERT.pem...
//
// ca writes DIR/ca.key.pem and DIR/ca.cert.pem; issue writes
// NAME.sign.{key,cert}.pem and NAME.enc.{key,cert}.pem (for rsa the same key
// serves both; for eddsa the signing key is Ed25519 and the encryption key
// X25519). For tests and demonstrations only.
func runPKI(_ context.Context, env *Env, args []string) int {
	usage := func() {
		fmt.Fprintln(env.Stderr, "usage: oots pki ca    -profile rsa|eddsa [-name CN] [-days N] -out DIR")
		fmt.Fprintln(env.Stderr, "       oots pki issue -profile rsa|eddsa -ca DIR -name AP_FR_01 [-days N] -out DIR")
		fmt.Fprintln(env.Stderr, "       oots pki crl   -ca DIR [-number N] [-days N] -out FILE CERT.pem...")
	}
	if len(args) == 0 {
		usage()
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("pki "+sub, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	profile := fs.String("profile", "rsa", "key types: rsa (eDelivery AS4 1.15) or eddsa (AS4 2.0: Ed25519 + X25519)")
	out := fs.String("out", "", "directory to write the PEM files to (created if missing)")
	days := fs.Int("days", 0, "validity in days (default: CA 3650, access point 730)")
	var name, caDir *string
	switch sub {
	case "ca":
		name = fs.String("name", "oots test CA", "subject common name of the CA")
	case "issue":
		name = fs.String("name", "", "access point name, e.g. AP_FR_01 (required)")
		caDir = fs.String("ca", "", "directory holding ca.key.pem and ca.cert.pem (required)")
	case "crl":
		return runPKICRL(env, args[1:])
	case "-h", "-help", "--help", "help":
		usage()
		return 0
	default:
		fmt.Fprintf(env.Stderr, "oots pki: unknown subcommand %q\n", sub)
		usage()
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	p, ok := pkiProfiles[*profile]
	if !ok {
		fmt.Fprintf(env.Stderr, "oots pki: -profile %q: use rsa or eddsa\n", *profile)
		return 2
	}
	if *out == "" || *name == "" || (caDir != nil && *caDir == "") {
		fmt.Fprintln(env.Stderr, "oots pki: missing a required flag")
		fs.Usage()
		return 2
	}
	opt := &pki.Options{Validity: time.Duration(*days) * 24 * time.Hour}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(env.Stderr, "oots pki:", err)
		return 2
	}
	switch sub {
	case "ca":
		ca, err := pki.NewCA(*name, p, opt)
		if err == nil {
			err = ca.WriteFiles(*out, "ca")
		}
		if err != nil {
			fmt.Fprintln(env.Stderr, "oots pki:", err)
			return 2
		}
		fmt.Fprintf(env.Stdout, "wrote %s/ca.key.pem %s/ca.cert.pem\n", *out, *out)
	case "issue":
		ca, err := pki.LoadCredential(*caDir, "ca")
		if err != nil {
			fmt.Fprintln(env.Stderr, "oots pki:", err)
			return 2
		}
		party, err := pki.Issue(ca, *name, p, opt)
		if err == nil {
			err = party.WriteFiles(*out, *name)
		}
		if err != nil {
			fmt.Fprintln(env.Stderr, "oots pki:", err)
			return 2
		}
		for _, f := range []string{"sign.key", "sign.cert", "enc.key", "enc.cert"} {
			fmt.Fprintf(env.Stdout, "wrote %s/%s.%s.pem\n", *out, *name, f)
		}
	}
	return 0
}

// runPKICRL writes a CRL revoking the given certificates (trust.Store loads
// it from a PEM bundle).
func runPKICRL(env *Env, args []string) int {
	fs := flag.NewFlagSet("pki crl", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	caDir := fs.String("ca", "", "directory holding ca.key.pem and ca.cert.pem (required)")
	out := fs.String("out", "", "file to write the PEM CRL to (required)")
	number := fs.Int64("number", 1, "CRL number")
	days := fs.Int("days", 7, "validity of the CRL in days")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *caDir == "" || *out == "" {
		fmt.Fprintln(env.Stderr, "oots pki crl: -ca and -out are required")
		return 2
	}
	ca, err := pki.LoadCredential(*caDir, "ca")
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots pki crl:", err)
		return 2
	}
	var revoked []*x509.Certificate
	for _, f := range fs.Args() {
		b, err := os.ReadFile(f)
		if err == nil {
			var c *x509.Certificate
			if c, err = pki.ParseCertPEM(b); err == nil {
				revoked = append(revoked, c)
			}
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "oots pki crl: %s: %v\n", f, err)
			return 2
		}
	}
	crl, err := pki.CRL(ca, revoked, *number, &pki.Options{Validity: time.Duration(*days) * 24 * time.Hour})
	if err == nil {
		err = os.WriteFile(*out, crl, 0o644)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots pki crl:", err)
		return 2
	}
	fmt.Fprintf(env.Stdout, "wrote %s revoking %d certificate(s)\n", *out, len(revoked))
	return 0
}

// pkiProfiles maps the -profile values of oots pki to the security profile
// whose key types it issues.
var pkiProfiles = map[string]wssec.Profile{
	"rsa":   wssec.AS4v115,
	"eddsa": wssec.AS4v20,
}
