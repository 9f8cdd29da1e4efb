// Package testdb starts real MariaDB and PostgreSQL servers for tests.
//
// Each server is initialised from the Debian packages' binaries in a fresh
// directory under /tmp, listens on 127.0.0.1 on a free port (never the
// default ports or sockets, which system servers may use) and ignores every
// system configuration file. Servers are killed at test cleanup and, as a
// last resort, by the kernel when the test binary dies (see sysProcAttr).
//
// When a server binary is missing, tests are skipped, unless CI=true: then a
// missing server is a failure.
package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers driver "mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
)

const (
	host        = "127.0.0.1"
	appDatabase = "app"
	appUser     = "otel"
	appPassword = "otel-secret"

	readyTimeout = 30 * time.Second // init or start until the server accepts connections
	stopTimeout  = 15 * time.Second // graceful shutdown before SIGKILL
	killTimeout  = 5 * time.Second  // SIGKILL until the process is reaped
	execTimeout  = time.Minute      // one Exec call
	pingTimeout  = 10 * time.Second // Admin's first connection
	startTries   = 3                // fresh ports tried when the first start loses a port race

	tempRoot   = "/tmp"
	tempPrefix = "testdb-"
	ownerFile  = "owner.pid" // pid of the test binary that created the dir
)

// Server is a database server started by a test, listening on 127.0.0.1.
type Server struct {
	Engine   string // "mariadb" or "postgresql"
	Host     string // "127.0.0.1"
	Port     int
	Database string // "app": created for the tests
	User     string // "otel": an unprivileged login with password Password
	Password string // "otel-secret"
	// CA signed the server's certificate when it was started with TLS (StartPostgresTLS,
	// StartMariaDBTLS); nil when it only speaks plaintext.
	CA *CA

	dir    string // private temp dir: data, socket, log
	shared bool   // owned by Main: tests must not stop or restart it
	flavor flavor

	mu   sync.Mutex // guards proc; held across Start and Stop
	proc *process   // nil while stopped
}

// flavor is what differs between the engines.
type flavor struct {
	driver     string
	logFile    string                  // server log inside dir
	stopSignal syscall.Signal          // the engine's fast clean shutdown
	command    func(*Server) *exec.Cmd // the server process
	adminDSN   func(s *Server, db string) string
	ready      string // database the superuser can connect to before setup
}

// unavailableError says the machine lacks a server binary or a system user:
// a reason to skip, not a bug.
type unavailableError struct{ msg string }

func (e *unavailableError) Error() string { return e.msg }

// DSN is the unprivileged user's DSN over TCP, for go-sql-driver/mysql or
// pgx respectively.
func (s *Server) DSN() string {
	if s.Engine == "mariadb" {
		return fmt.Sprintf("%s:%s@tcp(%s:%d)/%s?parseTime=true", s.User, s.Password, s.Host, s.Port, s.Database)
	}
	return fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", s.User, s.Password, s.Host, s.Port, s.Database)
}

// LogFile is the server's log: PostgreSQL's statement log when log_statement is on.
func (s *Server) LogFile() string { return s.path(s.flavor.logFile) }

// Admin returns a superuser connection pool to database app over the
// server's private unix socket; it is closed at t's cleanup.
func (s *Server) Admin(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open(s.flavor.driver, s.flavor.adminDSN(s, s.Database))
	if err != nil {
		t.Fatalf("testdb: %s admin: %v", s.Engine, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("testdb: %s admin: connect: %v", s.Engine, err)
	}
	return db
}

// Exec runs stmts in order in one superuser session in database app.
func (s *Server) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	if err := s.exec(s.Database, stmts...); err != nil {
		t.Fatal(err)
	}
}

// Stop shuts the server down, keeping its data. It is a no-op when the
// server is already stopped.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.shared {
		t.Fatalf("testdb: %s: a shared server cannot be stopped; use Start%s for a test's own server", s.Engine, s.funcSuffix())
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
}

// Start starts a stopped server again on the same port with the same data
// and returns once it accepts connections.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if s.shared {
		t.Fatalf("testdb: %s: a shared server cannot be restarted; use Start%s for a test's own server", s.Engine, s.funcSuffix())
	}
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

func (s *Server) funcSuffix() string {
	if s.Engine == "mariadb" {
		return "MariaDB"
	}
	return "Postgres"
}

func (s *Server) exec(db string, stmts ...string) error {
	pool, err := sql.Open(s.flavor.driver, s.flavor.adminDSN(s, db))
	if err != nil {
		return fmt.Errorf("testdb: %s exec: %w", s.Engine, err)
	}
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	// One connection, so that session state carries from one statement to the next.
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("testdb: %s exec: connect: %w", s.Engine, err)
	}
	defer conn.Close()
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("testdb: %s exec %q: %w", s.Engine, q, err)
		}
	}
	return nil
}

// launch starts a fresh server: new dir, init, start on a free port, setup.
// A port picked as free can be taken before the server binds it, so the
// first start moves to another port when the bind fails.
func launch(engine string, fl flavor, ca *CA, initFn func(*Server) error, setup func(*Server) error) (_ *Server, err error) {
	sweepOnce.Do(sweep)
	dir, err := os.MkdirTemp(tempRoot, tempPrefix) // short: unix socket paths are limited to 107 bytes
	if err != nil {
		return nil, fmt.Errorf("testdb: %s: %w", engine, err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("testdb: %s: %w", engine, err)
	}
	s := &Server{
		Engine: engine, Host: host, Database: appDatabase, User: appUser, Password: appPassword,
		dir: dir, flavor: fl, CA: ca,
	}
	defer func() {
		if err != nil {
			_ = s.stop()
			_ = os.RemoveAll(dir)
		}
	}()
	if err := initFn(s); err != nil {
		return nil, err
	}
	for try := 1; ; try++ {
		if s.Port, err = freePort(); err != nil {
			return nil, fmt.Errorf("testdb: %s: %w", engine, err)
		}
		err = s.start()
		if err == nil {
			break
		}
		if try == startTries || !strings.Contains(err.Error(), "Address already in use") {
			return nil, err
		}
	}
	if err := setup(s); err != nil {
		return nil, err
	}
	return s, nil
}

// start runs the server process and waits until the superuser can connect.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return fmt.Errorf("testdb: %s on port %d: already running", s.Engine, s.Port)
	}
	logPath := s.path(s.flavor.logFile)
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("testdb: %s: %w", s.Engine, err)
	}
	logStart, _ := log.Seek(0, io.SeekEnd)
	cmd := s.flavor.command(s)
	cmd.Stdout, cmd.Stderr = log, log
	p, err := startProcess(cmd)
	if err != nil {
		log.Close()
		return fmt.Errorf("testdb: %s: start %s: %w", s.Engine, cmd.Path, err)
	}
	p.log = log
	if err := s.waitReady(p); err != nil {
		p.kill()
		p.log.Close()
		return fmt.Errorf("testdb: %s on port %d: %w\nserver log (%s):\n%s", s.Engine, s.Port, err, logPath, logTail(logPath, logStart))
	}
	s.proc = p
	return nil
}

func (s *Server) waitReady(p *process) error {
	db, err := sql.Open(s.flavor.driver, s.flavor.adminDSN(s, s.flavor.ready))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting connections after %v: %w", readyTimeout, err)
		}
		if p.wait(100 * time.Millisecond) {
			return fmt.Errorf("server exited during startup: %v", p.exitError())
		}
	}
}

// stop shuts the server down cleanly, or kills its process group when that
// takes longer than stopTimeout.
func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil {
		return nil
	}
	s.proc = nil
	defer p.log.Close()
	_ = syscall.Kill(p.pid, s.flavor.stopSignal)
	if !p.wait(stopTimeout) && !p.kill() {
		return fmt.Errorf("testdb: %s pid %d: still running after SIGKILL", s.Engine, p.pid)
	}
	return nil
}

func (s *Server) path(name string) string { return filepath.Join(s.dir, name) }

// run runs a setup command (initdb, mariadb-install-db) with its output in
// logFile, bounded by readyTimeout.
func (s *Server) run(cmd *exec.Cmd, logFile string) error {
	logPath := s.path(logFile)
	log, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("testdb: %s: %w", s.Engine, err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	p, err := startProcess(cmd)
	if err != nil {
		return fmt.Errorf("testdb: %s: start %s: %w", s.Engine, cmd.Path, err)
	}
	if p.wait(readyTimeout) {
		err = p.exitError()
	} else {
		p.kill()
		err = fmt.Errorf("timed out after %v", readyTimeout)
	}
	if err != nil {
		return fmt.Errorf("testdb: %s: %s: %w\noutput (%s):\n%s", s.Engine, strings.Join(cmd.Args, " "), err, logPath, logTail(logPath, 0))
	}
	return nil
}

// baseEnv is the whole environment of server processes: nothing from the
// test's environment (PGPORT, MYSQL_UNIX_PORT, ...) leaks into them, and a
// fixed TZ spares initdb its time zone probing.
func (s *Server) baseEnv() []string {
	return []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "TZ=UTC", "HOME=" + s.dir}
}

var sweepOnce sync.Once

// sweep removes the dirs of test binaries that died without cleaning up (a
// timeout panic or SIGKILL skips t.Cleanup); their servers died with them.
func sweep() {
	dirs, _ := filepath.Glob(filepath.Join(tempRoot, tempPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours, or still being created
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(dir)
		}
	}
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	for range 10 {
		l, err := net.Listen("tcp", host+":0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if port != 3306 && port != 5432 { // system servers' ports, however unlikely
			return port, nil
		}
	}
	return 0, errors.New("find a free port: only default ports offered")
}

// logTail returns the last lines of a log written since offset.
func logTail(path string, offset int64) string {
	const maxBytes, maxLines = 4096, 40
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size()-offset > maxBytes {
		offset = fi.Size() - maxBytes
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return strings.Join(lines, "\n")
}

// unavailable reports a missing prerequisite: t.Skip normally, t.Fatal when
// CI=true, since CI must have the servers installed.
func unavailable(t testing.TB, err error) {
	t.Helper()
	var u *unavailableError
	if !errors.As(err, &u) {
		t.Fatal(err)
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v (CI=true: the server packages must be installed)", err)
	}
	t.Skip(err)
}

// startOwn launches a test's own server, stopped and removed at t's cleanup.
func startOwn(t testing.TB, launchFn func() (*Server, error)) *Server {
	t.Helper()
	s, err := launchFn()
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Error(err)
		}
		_ = os.RemoveAll(s.dir)
	})
	return s
}
