package testdb_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

// Runner rather than Main: goleak also proves that no goroutine of a server
// outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(testdb.Runner(m)) }

// engine holds the per-engine SQL of the tests.
type engine struct {
	start     func(testing.TB) *testdb.Server
	shared    func(testing.TB) *testdb.Server
	driver    string
	sessionID string // the current session's id in the activity list
	// sessions counts the sessions in the activity list with a given id and user.
	sessions string
	// admins counts the superuser's client sessions visible to the current user.
	admins string
}

var engines = map[string]engine{
	"mariadb": {
		start:     testdb.StartMariaDB,
		shared:    testdb.SharedMariaDB,
		driver:    "mysql",
		sessionID: "SELECT CONNECTION_ID()",
		sessions:  "SELECT COUNT(*) FROM information_schema.processlist WHERE id = ? AND user = ?",
		admins:    "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'root'",
	},
	"postgresql": {
		start:     testdb.StartPostgres,
		shared:    testdb.SharedPostgres,
		driver:    "pgx",
		sessionID: "SELECT pg_backend_pid()",
		sessions:  "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1 AND usename = $2",
		admins:    "SELECT COUNT(*) FROM pg_stat_activity WHERE usename = 'postgres' AND backend_type = 'client backend'",
	},
}

func TestServer(t *testing.T) {
	for name, e := range engines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := e.start(t)
			assert.Equal(t, name, s.Engine)
			assert.Equal(t, "127.0.0.1", s.Host)
			assert.NotContains(t, []int{0, 3306, 5432}, s.Port)
			assert.Equal(t, "app", s.Database)
			assert.Equal(t, "otel", s.User)
			assert.Equal(t, "otel-secret", s.Password)

			db := open(t, e.driver, s.DSN())
			conn, err := db.Conn(ctx(t))
			require.NoError(t, err)
			defer conn.Close()
			var one int
			require.NoError(t, conn.QueryRowContext(ctx(t), "SELECT 1").Scan(&one))
			require.Equal(t, 1, one)

			// The superuser sees otel's session, and otel sees the superuser's.
			var id int64
			require.NoError(t, conn.QueryRowContext(ctx(t), e.sessionID).Scan(&id))
			admin := s.Admin(t)
			assert.Equal(t, 1, count(t, admin, e.sessions, id, s.User), "own session in the activity list")
			assert.Positive(t, count(t, conn, e.admins), "superuser's session visible to otel")

			// otel may write scratch and read tables created after setup.
			_, err = conn.ExecContext(ctx(t), "INSERT INTO scratch (id) VALUES (42)")
			require.NoError(t, err)
			s.Exec(t, "CREATE TABLE later (v int)", "INSERT INTO later (v) VALUES (7)")
			assert.Equal(t, 1, count(t, conn, "SELECT COUNT(*) FROM later"))
			_, err = conn.ExecContext(ctx(t), "INSERT INTO later (v) VALUES (8)")
			assert.Error(t, err, "otel must not write other tables")

			// Password auth over TCP is enforced.
			bad := strings.Replace(s.DSN(), s.Password, "wrong", 1)
			assert.Error(t, open(t, e.driver, bad).PingContext(ctx(t)), "wrong password accepted")

			conn.Close()
			port := s.Port
			s.Stop(t)
			s.Stop(t) // idempotent
			require.Error(t, open(t, e.driver, s.DSN()).PingContext(ctx(t)), "connected to a stopped server")

			s.Start(t)
			require.Equal(t, port, s.Port)
			db = open(t, e.driver, s.DSN())
			assert.Equal(t, 1, count(t, db, "SELECT COUNT(*) FROM scratch WHERE id = 42"), "data kept across restart")
		})
	}
}

func TestShared(t *testing.T) {
	for name, e := range engines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := e.shared(t)
			require.Same(t, s, e.shared(t), "one shared server per test binary")
			assert.Equal(t, 1, count(t, open(t, e.driver, s.DSN()), "SELECT 1"))
		})
	}
}

func open(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func count(t *testing.T, q queryer, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, q.QueryRowContext(ctx(t), query, args...).Scan(&n), query)
	return n
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}
