// Package cidurl recognises cid: URLs (RFC 2392), the references by which
// an AS4 message's XML names its MIME parts: in eb:PartInfo, ds:Reference,
// xenc:CipherReference and an evidence's rim:RepositoryItemRef. It is the
// one place that decides what begins such a URL, below the packages that
// read them (the MIME reader, XML encryption, the message model).
package cidurl

import "strings"

// Cut returns the content-id of the cid: URL u as written (not
// percent-decoded) and true, or "" and false when u is not a cid: URL. The
// scheme is matched without regard to case: schemes are case-insensitive
// (RFC 3986 §3.1), so "CID:" and "Cid:" begin cid: URLs too (RFC 2392).
func Cut(u string) (string, bool) {
	if len(u) < 4 || !strings.EqualFold(u[:4], "cid:") {
		return "", false
	}
	return u[4:], true
}

// Is reports whether u is a cid: URL (Cut).
func Is(u string) bool {
	_, ok := Cut(u)
	return ok
}
