package testdb

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// Shared servers live from their first use until Main's or Runner's tests
// end or, without either, until the test binary exits: then the kernel kills
// them (see sysProcAttr) and a later launch sweeps their dirs away.
var shared struct {
	mu      sync.Mutex
	servers map[string]*sharedServer
}

type sharedServer struct {
	once sync.Once
	srv  *Server
	err  error
}

// Main runs a package's tests and then stops the servers that SharedMariaDB
// and SharedPostgres started and removes their data. Call it from TestMain:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
func Main(m *testing.M) {
	os.Exit(Runner(m).Run())
}

// Runner is Main for a TestMain that does its own exit handling: its Run
// runs m's tests, stops the shared servers and returns the exit code. It
// fits goleak (as in mdatagen's generated TestMain), whose check then runs
// after the servers' goroutines have ended:
//
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(testdb.Runner(m)) }
func Runner(m *testing.M) interface{ Run() int } {
	return runner{m}
}

type runner struct{ m *testing.M }

func (r runner) Run() (code int) {
	defer func() {
		if err := stopShared(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}()
	return r.m.Run()
}

func stopShared() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	var firstErr error
	for _, e := range shared.servers {
		if e.srv == nil {
			continue
		}
		if err := e.srv.stop(); err != nil && firstErr == nil {
			firstErr = err
		}
		_ = os.RemoveAll(e.srv.dir)
	}
	shared.servers = nil
	return firstErr
}

// SharedMariaDB returns the test binary's MariaDB server, starting it on
// first use, for tests that neither stop nor restart it. Tests share its
// data, so they should use their own table names. A TestMain calling Main or
// using Runner stops it when the tests end; without one the server lives
// until the test binary exits, which mdatagen's goleak TestMain tolerates.
func SharedMariaDB(t testing.TB) *Server {
	t.Helper()
	return sharedServerFor(t, "mariadb", func() (*Server, error) { return launchMariaDB(nil) })
}

// SharedPostgres is SharedMariaDB for PostgreSQL.
func SharedPostgres(t testing.TB) *Server {
	t.Helper()
	return sharedServerFor(t, "postgresql", func() (*Server, error) { return launchPostgres(nil) })
}

func sharedServerFor(t testing.TB, engine string, launchFn func() (*Server, error)) *Server {
	t.Helper()
	shared.mu.Lock()
	if shared.servers == nil {
		shared.servers = make(map[string]*sharedServer)
	}
	e := shared.servers[engine]
	if e == nil {
		e = &sharedServer{}
		shared.servers[engine] = e
	}
	shared.mu.Unlock()

	// Outside shared.mu: starting one engine must not hold up the other.
	e.once.Do(func() {
		e.srv, e.err = launchFn()
		if e.srv != nil {
			e.srv.shared = true
		}
	})
	if e.err != nil {
		unavailable(t, e.err)
	}
	return e.srv
}
