//go:build pkcs11 && cgo

package pkcs11_test

import (
	"bufio"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	p11 "github.com/miekg/pkcs11"

	"github.com/oots-go/oots/internal/softhsmtest"
	"github.com/oots-go/oots/pkcs11"
)

// admin is a second user of the SoftHSM2 library in the test process, to
// do to the token what another program, an operator or the HSM does: close
// every session, log out, change the PIN, replace a key.
type admin struct {
	t    *testing.T
	ctx  *p11.Ctx
	slot uint
}

func newAdmin(t *testing.T) *admin {
	t.Helper()
	ctx := p11.New(softhsmtest.Module)
	if err := ctx.Initialize(); err != nil && !errors.Is(err, p11.Error(p11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
		t.Fatal(err)
	}
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if ti, err := ctx.GetTokenInfo(s); err == nil && ti.Label == softhsmtest.TokenLabel {
			return &admin{t, ctx, s}
		}
	}
	t.Fatal("no test token")
	return nil
}

func (a *admin) session(pin string) p11.SessionHandle {
	a.t.Helper()
	sh, err := a.ctx.OpenSession(a.slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
	if err != nil {
		a.t.Fatal(err)
	}
	if pin != "" {
		if err := a.ctx.Login(sh, p11.CKU_USER, pin); err != nil && !errors.Is(err, p11.Error(p11.CKR_USER_ALREADY_LOGGED_IN)) {
			a.t.Fatal(err)
		}
	}
	return sh
}

// closeAll closes all the sessions of the process with the token, as
// an HSM that restarts or a network HSM that reconnects does.
func (a *admin) closeAll() {
	a.t.Helper()
	if err := a.ctx.CloseAllSessions(a.slot); err != nil {
		a.t.Fatal(err)
	}
}

// logout logs the process out of the token, as a login that expires.
func (a *admin) logout() {
	a.t.Helper()
	sh := a.session("")
	defer a.ctx.CloseSession(sh)
	if err := a.ctx.Logout(sh); err != nil && !errors.Is(err, p11.Error(p11.CKR_USER_NOT_LOGGED_IN)) {
		a.t.Fatal(err)
	}
}

// sessions counts the sessions the process has open with the token,
// asking the library about every handle up to a new one.
func (a *admin) sessions() int {
	a.t.Helper()
	probe := a.session("")
	defer a.ctx.CloseSession(probe)
	n := 0
	for h := p11.SessionHandle(1); h < probe; h++ {
		if si, err := a.ctx.GetSessionInfo(h); err == nil && si.SlotID == a.slot {
			n++
		}
	}
	return n
}

func signVerify(t *testing.T, s crypto.Signer, pub *rsa.PublicKey) error {
	h := sha256.Sum256([]byte("eb:Messaging"))
	sig, err := s.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return err
	}
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig)
}

func decrypt(t *testing.T, d crypto.Decrypter, pub *rsa.PublicKey) error {
	cek := []byte("0123456789abcdef")
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, cek, nil)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := d.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.SHA256})
	if err == nil && string(pt) != string(cek) {
		err = fmt.Errorf("decrypted %x", pt)
	}
	return err
}

// labelCount numbers the labels newLabel gives.
var labelCount atomic.Int64

// newLabel returns a label beginning with prefix that no other key in the
// test token has: the token lasts as long as the test process, so a test
// run again (go test -count=2) would otherwise find its earlier keys too.
func newLabel(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, labelCount.Add(1))
}

func openRSA(t *testing.T, label string) (*rsa.PrivateKey, crypto.Decrypter) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var uri string
	if label == "" {
		uri = softhsmtest.Import(t, k)
	} else {
		uri = softhsmtest.ImportAs(t, k, label)
	}
	key, err := pkcs11.Open(uri)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := key.(crypto.Decrypter)
	if !ok {
		t.Fatalf("%T is not a crypto.Decrypter", key)
	}
	return k, d
}

// TestTokenRecovers: after the token closed the node's sessions or
// logged it out, signing and decryption work again without a restart.
func TestTokenRecovers(t *testing.T) {
	k, d := openRSA(t, "")
	a := newAdmin(t)
	for _, c := range []struct {
		name string
		do   func()
	}{{"sessions closed", a.closeAll}, {"logged out", a.logout}, {"both", func() { a.logout(); a.closeAll() }}} {
		c.do()
		for i := 0; i < 3; i++ {
			if err := signVerify(t, d.(crypto.Signer), &k.PublicKey); err != nil {
				t.Fatalf("%s: sign %d: %v", c.name, i, err)
			}
		}
		c.do()
		if err := decrypt(t, d, &k.PublicKey); err != nil {
			t.Fatalf("%s: decrypt: %v", c.name, err)
		}
	}
}

// TestTokenOAEPBadCiphertext: a ciphertext the token's own OAEP refuses
// (SoftHSM2 answers CKR_GENERAL_ERROR, as to a session it no longer
// knows) fails on the session it was tried on: the key opens no new
// session, nor logs in again, for it, and decrypts the next ciphertext.
func TestTokenOAEPBadCiphertext(t *testing.T) {
	k, d := openRSA(t, "")
	a := newAdmin(t)
	// SoftHSM2 numbers the sessions in order: a probe's handle counts the
	// sessions opened since the last probe.
	probe := func() p11.SessionHandle {
		sh := a.session("")
		a.ctx.CloseSession(sh)
		return sh
	}
	opts := &rsa.OAEPOptions{Hash: crypto.SHA1, MGFHash: crypto.SHA1}
	bad := make([]byte, k.Size())
	bad[len(bad)-1] = 2
	before := probe()
	if pt, err := d.Decrypt(nil, bad, opts); err == nil || errors.Is(err, pkcs11.ErrUnsupported) {
		t.Fatalf("a ciphertext that is not OAEP: %x, %v, want a decryption error", pt, err)
	}
	if n := probe() - before - 1; n != 0 {
		t.Errorf("the key opened %d sessions for a ciphertext that is not OAEP, want none", n)
	}
	cek := []byte("0123456789abcdef")
	ct, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, &k.PublicKey, cek, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := d.Decrypt(nil, ct, opts); err != nil || string(pt) != string(cek) {
		t.Errorf("decryption after it: %q, %v", pt, err)
	}
}

// TestTokenKeyReplaced: a key replaced in the token under the same label
// is refused when the node opens a new session, not used in place of the
// key its certificate was checked against.
func TestTokenKeyReplaced(t *testing.T) {
	label := newLabel("replaced")
	k, d := openRSA(t, label)
	if err := signVerify(t, d.(crypto.Signer), &k.PublicKey); err != nil {
		t.Fatal(err)
	}
	a := newAdmin(t)
	sh := a.session(softhsmtest.PIN)
	if err := a.ctx.FindObjectsInit(sh, []*p11.Attribute{p11.NewAttribute(p11.CKA_LABEL, label)}); err != nil {
		t.Fatal(err)
	}
	objs, _, err := a.ctx.FindObjects(sh, 10)
	a.ctx.FindObjectsFinal(sh)
	if err != nil || len(objs) == 0 {
		t.Fatalf("%d objects, %v", len(objs), err)
	}
	for _, o := range objs {
		if err := a.ctx.DestroyObject(sh, o); err != nil {
			t.Fatal(err)
		}
	}
	a.ctx.CloseSession(sh)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	softhsmtest.ImportAs(t, other, label)
	a.closeAll()
	h := sha256.Sum256([]byte("eb:Messaging"))
	sig, err := d.(crypto.Signer).Sign(rand.Reader, h[:], crypto.SHA256)
	if err == nil {
		if rsa.VerifyPKCS1v15(&other.PublicKey, crypto.SHA256, h[:], sig) == nil {
			t.Fatal("signed with the key that replaced the one opened")
		}
		t.Fatal("signed after the key was replaced")
	}
	if !errors.Is(err, pkcs11.ErrNotFound) || !strings.Contains(err.Error(), label) {
		t.Errorf("sign with a replaced key: %v, want ErrNotFound naming %s", err, label)
	}
}

// TestTokenConcurrent: 64 goroutines sign and decrypt at once while the
// token logs the node out three times; all operations succeed, and
// afterwards the key holds no more sessions than its pool's size. (The
// token does not close the sessions meanwhile: SoftHSM2 2.6 crashes in
// C_SignInit when C_CloseAllSessions frees a session another thread of
// the process is using.)
func TestTokenConcurrent(t *testing.T) {
	k, d := openRSA(t, "")
	a := newAdmin(t)
	before := a.sessions()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				var err error
				if i%4 == 3 {
					err = decrypt(t, d, &k.PublicKey)
				} else {
					err = signVerify(t, d.(crypto.Signer), &k.PublicKey)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 3; i++ {
		time.Sleep(100 * time.Millisecond)
		a.logout()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// before counts the key's first session and the other tests' keys'.
	if n := a.sessions(); n-before+1 > pkcs11.MaxSessions() {
		t.Errorf("%d sessions open after 2560 operations (%d before, at most %d per key)", n, before, pkcs11.MaxSessions())
	}
}

// TestTokenSessionsBounded: thousands of operations from 64 goroutines
// leave at most the pool's sessions open.
func TestTokenSessionsBounded(t *testing.T) {
	k, d := openRSA(t, "")
	a := newAdmin(t)
	a.closeAll() // the other tests' sessions
	var wg sync.WaitGroup
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := signVerify(t, d.(crypto.Signer), &k.PublicKey); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n := a.sessions()
	t.Logf("%d sessions open after 3200 signatures", n)
	if n < 1 || n > pkcs11.MaxSessions() {
		t.Errorf("%d sessions open after 3200 signatures, want 1 to %d", n, pkcs11.MaxSessions())
	}
}

// TestHelperLockToken is not a test: run by TestTokenHung in a child
// process, it holds a POSIX lock on every file of the SoftHSM2 token
// directory OOTS_LOCK_TOKENS names until its standard input closes.
func TestHelperLockToken(t *testing.T) {
	dir := os.Getenv("OOTS_LOCK_TOKENS")
	if dir == "" {
		t.Skip("helper process of TestTokenHung")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	for _, name := range files {
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLKW, &syscall.Flock_t{Type: syscall.F_WRLCK}); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Println("locked", len(files))
	bufio.NewReader(os.Stdin).ReadString('\n')
}

// TestTokenHung: while another process holds the token's files locked,
// SoftHSM2 blocks in C_Sign; the signer returns ErrTimeout within the
// bound its URI sets (x-timeout) instead of waiting for ever, the signers
// beyond its pool (x-max-sessions) are not blocked longer, and once the
// token answers again the key signs.
func TestTokenHung(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := pkcs11.Open(softhsmtest.Import(t, k) + "&x-max-sessions=2&x-timeout=300ms")
	if err != nil {
		t.Fatal(err)
	}
	s := key.(crypto.Signer)
	if err := signVerify(t, s, &k.PublicKey); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLockToken$")
	cmd.Env = append(os.Environ(), "OOTS_LOCK_TOKENS="+filepath.Join(filepath.Dir(os.Getenv("SOFTHSM2_CONF")), "tokens"))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex // guards released
	released := false
	release := func() {
		mu.Lock()
		defer mu.Unlock()
		if !released {
			released = true
			stdin.Close()
			cmd.Wait()
		}
	}
	defer release()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || !strings.HasPrefix(line, "locked") {
		t.Fatalf("lock helper: %q, %v", line, err)
	}
	// Release the token after 3s whatever happens, so that a signer that
	// waits for it fails the test rather than blocking it.
	unlock := time.AfterFunc(3*time.Second, release)
	defer unlock.Stop()
	var wg sync.WaitGroup
	var poolFull atomic.Int32 // the signers that found both sessions busy
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			err := signVerify(t, s, &k.PublicKey)
			if took := time.Since(start); !errors.Is(err, pkcs11.ErrTimeout) || took > 2*time.Second {
				t.Errorf("sign while the token hangs: %v after %v, want ErrTimeout after about 300ms", err, took)
			}
			if err != nil && strings.Contains(err.Error(), "all 2 sessions") {
				poolFull.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := poolFull.Load(); n != 4 {
		t.Errorf("%d of 6 signers found the pool of 2 sessions busy, want 4", n)
	}
	release()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := signVerify(t, s, &k.PublicKey)
		if err == nil {
			break
		}
		if !errors.Is(err, pkcs11.ErrTimeout) || time.Now().After(deadline) {
			t.Fatalf("sign after the token answers again: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (a *admin) pinCountLow() bool {
	a.t.Helper()
	ti, err := a.ctx.GetTokenInfo(a.slot)
	if err != nil {
		a.t.Fatal(err)
	}
	return ti.Flags&p11.CKF_USER_PIN_COUNT_LOW != 0
}

// TestTokenOpenWrongPIN: a PIN the token refuses is ErrLogin naming the
// token, never the PIN.
func TestTokenOpenWrongPIN(t *testing.T) {
	label := newLabel("wrong-pin")
	softhsmtest.ImportAs(t, ed25519.NewKeyFromSeed(make([]byte, 32)), label)
	newAdmin(t).logout()
	_, err := pkcs11.Open(strings.Replace(softhsmtest.URI(label), "pin-value="+softhsmtest.PIN, "pin-value=pin-4711-secret", 1))
	if !errors.Is(err, pkcs11.ErrLogin) || !strings.Contains(err.Error(), "token="+softhsmtest.TokenLabel) || strings.Contains(err.Error(), "4711") {
		t.Errorf("Open with a wrong PIN: %v, want ErrLogin naming the token and not the PIN", err)
	}
}

// TestTokenPINChanged: when the token's PIN changed, the node does not
// try the refused PIN again (a token locks after a few wrong PINs: here
// SoftHSM2's "PIN count low" flag, cleared by a right login, stays
// cleared), and it recovers once the pin-source file holds the new PIN.
func TestTokenPINChanged(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	uri := softhsmtest.Import(t, k)
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte(softhsmtest.PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := pkcs11.Open(strings.Replace(uri, "pin-value="+softhsmtest.PIN, "pin-source="+pinFile, 1))
	if err != nil {
		t.Fatal(err)
	}
	s := key.(crypto.Signer)
	const newPIN = "pin-4711-new"
	a := newAdmin(t)
	sh := a.session(softhsmtest.PIN)
	if err := a.ctx.SetPIN(sh, softhsmtest.PIN, newPIN); err != nil {
		t.Fatal(err)
	}
	a.ctx.CloseSession(sh)
	t.Cleanup(func() {
		sh := a.session(newPIN)
		defer a.ctx.CloseSession(sh)
		if err := a.ctx.SetPIN(sh, newPIN, softhsmtest.PIN); err != nil {
			t.Errorf("the PIN back: %v", err)
		}
	})
	a.logout()
	a.closeAll()
	err = signVerify(t, s, &k.PublicKey)
	if !errors.Is(err, pkcs11.ErrLogin) || !strings.Contains(err.Error(), softhsmtest.TokenLabel) || strings.Contains(err.Error(), softhsmtest.PIN) {
		t.Fatalf("sign after the PIN changed: %v, want ErrLogin naming the token and not the PIN", err)
	}
	if !a.pinCountLow() {
		t.Fatal("the token did not count the wrong PIN")
	}
	a.ctx.CloseSession(a.session(newPIN)) // clears the count
	a.logout()
	for i := 0; i < 3; i++ {
		if err := signVerify(t, s, &k.PublicKey); !errors.Is(err, pkcs11.ErrLogin) {
			t.Fatalf("sign again: %v, want ErrLogin", err)
		}
	}
	if a.pinCountLow() {
		t.Fatal("the refused PIN was tried again")
	}
	if err := os.WriteFile(pinFile, []byte(newPIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := signVerify(t, s, &k.PublicKey); err != nil {
		t.Fatalf("sign with the new PIN in pin-source: %v", err)
	}
}
