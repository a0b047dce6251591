// Package pgtest starts a real, throw-away PostgreSQL server for tests: initdb
// and postgres of the Debian package postgresql (/usr/lib/postgresql/*/bin),
// a data directory in the test's temporary directory, and a loopback TCP port.
// When the tests run as root, the server runs as the postgres user (PostgreSQL
// refuses to run as root). The server is stopped when the test ends, and dies
// with the test binary.
//
// When PostgreSQL is not installed the test is skipped, or fails under
// OOTS_REQUIRE_VERIFIERS=1 (as in CI, which installs the package listed in
// .ci/debian-packages).
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/oots-go/oots/internal/testenv"
)

// Server is a running PostgreSQL server.
type Server struct {
	// Port is the loopback TCP port the server listens on.
	Port int
	// User is the superuser role (the operating system user that ran initdb).
	User string
	cmd  *exec.Cmd
	dbs  atomic.Int64
}

// binDir returns the newest /usr/lib/postgresql/N/bin that has initdb.
func binDir() string {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(m, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[j]))))
		return vi > vj
	})
	if len(m) == 0 {
		return ""
	}
	return filepath.Dir(m[0])
}

// Start initialises a cluster in a temporary directory and starts the
// server on a free loopback port. It is stopped at the end of the test.
// Under -short the test is skipped.
func Start(tb testing.TB) *Server {
	tb.Helper()
	testenv.SkipShort(tb, "PostgreSQL server")
	bin := binDir()
	if bin == "" {
		if testenv.Required() {
			tb.Fatal("PostgreSQL is missing and OOTS_REQUIRE_VERIFIERS=1: apt-get install postgresql")
		}
		tb.Skip("PostgreSQL is missing (apt-get install postgresql)")
	}
	dir, err := os.MkdirTemp("", "oots-pgtest-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		tb.Fatal(err)
	}
	var cred *syscall.Credential
	owner := "postgres"
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("pgtest: running as root needs the postgres user of the Debian package: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chmod(dir, 0o711); err != nil {
			tb.Fatal(err)
		}
		if err := os.Chown(data, uid, gid); err != nil {
			tb.Fatal(err)
		}
	} else if u, err := user.Current(); err == nil {
		owner = u.Username
	}
	command := func(name string, args ...string) *exec.Cmd {
		c := exec.Command(filepath.Join(bin, name), args...)
		c.Dir = "/"
		c.Env = append(os.Environ(), "LC_ALL=C")
		c.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
		return c
	}
	out, err := command("initdb", "-D", data, "-U", owner, "-A", "trust", "-E", "UTF8", "--no-sync").CombinedOutput()
	if err != nil {
		tb.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	port := freePort(tb)
	srv := command("postgres", "-D", data, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", "",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "log_min_messages=fatal")
	logFile, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		tb.Fatal(err)
	}
	if cred != nil {
		os.Chown(logFile.Name(), int(cred.Uid), int(cred.Gid))
	}
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		tb.Fatalf("pgtest: starting postgres: %v", err)
	}
	s := &Server{Port: port, User: owner, cmd: srv}
	tb.Cleanup(func() {
		srv.Process.Signal(syscall.SIGQUIT)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			srv.Process.Kill()
			<-done
		}
		logFile.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, err := sql.Open("pgx", s.DSN("postgres"))
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
		}
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile.Name())
			tb.Fatalf("pgtest: postgres did not start: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// DSN returns the connection URL of database name on the server.
func (s *Server) DSN(name string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", s.User, s.Port, name)
}

// NewDatabase creates an empty database and returns its connection URL.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("t%d_%s", s.dbs.Add(1), strings.ToLower(strconv.FormatInt(time.Now().UnixNano()%1e6, 36)))
	db, err := sql.Open("pgx", s.DSN("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return s.DSN(name)
}
