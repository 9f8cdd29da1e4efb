package sqlquery

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL SQLSTATEs.
const (
	pgReadOnlySQLTransaction = "25006"
	pgQueryCanceled          = "57014" // statement_timeout, or our cancel request
	pgLockNotAvailable       = "55P03" // lock_timeout
)

// cancelGrace is how long a canceled statement may take to acknowledge the cancel
// request before pgx gives up on the connection.
const cancelGrace = 500 * time.Millisecond

// parsePostgresDSN parses a configured PostgreSQL URL or keyword/value string. pgx
// redacts passwords from its message only on a best-effort basis, so it is not passed on.
func parsePostgresDSN(dsn string) (*pgx.ConnConfig, error) {
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("dsn: not a valid PostgreSQL connection string (postgres://user:password@host:port/database?param=value)")
	}
	return cc, nil
}

// postgresConnector builds the target's pgx connector for database/sql.
func postgresConnector(t *Target, creds aws.CredentialsProvider, timeout time.Duration) (driver.Connector, func(*sql.DB) dialect, []string, error) {
	var cc *pgx.ConnConfig
	var err error
	if t.DSN != "" {
		if cc, err = parsePostgresDSN(string(t.DSN)); err != nil {
			return nil, nil, nil, err
		}
	} else {
		// pgx only connects with a config made by ParseConfig; the empty string gives its
		// defaults, and every field that matters is then set from the target.
		if cc, err = pgx.ParseConfig(""); err != nil {
			return nil, nil, nil, err
		}
		cc.Host, cc.Port = t.Host, uint16(t.port())
		cc.User, cc.Password = t.Credentials.Username, string(t.Credentials.Password)
		cc.Database = t.database()
		// Nothing from the collector's PG* environment: the target says it all.
		cc.RuntimeParams, cc.ValidateConnect = map[string]string{}, nil
	}
	secrets := []string{cc.Password}
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = ApplicationName
	}
	if cc.ConnectTimeout <= 0 || cc.ConnectTimeout > ConnectTimeout {
		cc.ConnectTimeout = ConnectTimeout
	}
	forceSafePostgres(cc)
	// The session is read-only and has its timeouts from the start, as startup
	// parameters: no statement for either, on any connection.
	ms := timeoutMillis(timeout)
	cc.RuntimeParams["default_transaction_read_only"] = "on"
	cc.RuntimeParams["statement_timeout"] = ms
	cc.RuntimeParams["lock_timeout"] = ms
	// pgx's default only closes the socket on cancel, leaving the statement running on
	// the server; a cancel request stops it.
	cc.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: cancelGrace}
	}
	mode, inDSN := pgParam(string(t.DSN), "sslmode")
	switch {
	case !inDSN || t.DSN == "":
		tlsCfg, err := tlsClientConfig(t.Credentials.TLS, cc.Host)
		if err != nil {
			return nil, nil, secrets, err
		}
		// Exactly one way to connect: TLS, or plaintext when asked for; no fallback.
		cc.TLSConfig, cc.Fallbacks = tlsCfg, nil
	case strings.EqualFold(mode, "prefer") || strings.EqualFold(mode, "allow"):
		return nil, nil, secrets, fmt.Errorf("dsn: sslmode=%s falls back to plaintext silently; use sslmode=verify-full (or sslmode=disable to ask for plaintext)", mode)
	}
	opts := []stdlib.OptionOpenDB{
		stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
			c.PgConn().CustomData()[sessionTimeoutKey] = timeout
			return nil
		}),
		// pgx pings a connection idle for more than a second before handing it out with
		// an empty query, a statement per run. A Sync message is as good a round trip,
		// and no statement.
		stdlib.OptionShouldPing(func(context.Context, stdlib.ShouldPingParams) bool { return false }),
		stdlib.OptionResetSession(syncPing),
	}
	if t.Credentials.IAMAuth {
		iam, err := newIAMAuth(creds, t.Region, cc.Host, cc.User)
		if err != nil {
			return nil, nil, secrets, err
		}
		opts = append(opts, stdlib.OptionBeforeConnect(func(ctx context.Context, c *pgx.ConnConfig) error {
			tok, err := iam.token(ctx, c.Host, int(c.Port))
			c.Password = tok
			return err
		}))
	}
	return stdlib.GetConnector(*cc, opts...), func(*sql.DB) dialect { return postgresDialect{} }, secrets, nil
}

// syncPing checks that the server still answers on c without running a statement: a
// dead connection is replaced before a run, and the attempt counts for target_up.
func syncPing(ctx context.Context, c *pgx.Conn) error {
	p := c.PgConn().StartPipeline(ctx)
	err := p.Sync()
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return driver.ErrBadConn
	}
	return nil
}

// postgresDialect covers PostgreSQL and Aurora PostgreSQL.
type postgresDialect struct{}

// sessionTimeoutKey keeps a session's statement_timeout in pgx's per-connection data.
const sessionTimeoutKey = "otelcol-rds/statement_timeout"

func timeoutMillis(d time.Duration) string { return strconv.FormatInt(max(d.Milliseconds(), 1), 10) }

// single runs queries that cannot commit (not CALL, not DO) as they are, on the
// read-only session. The session must still be read-only: PostgreSQL 14 and later
// report default_transaction_read_only to the client on every change, so a query that
// turned it off is seen, for free, and its connection closed before anything else runs
// on it. Older servers do not report it: there, every query runs in a read-only
// transaction. The session's statement_timeout is changed (one statement) only when
// the query's timeout differs from it.
func (postgresDialect) single(ctx context.Context, conn *sql.Conn, q *query) (string, func(), bool, error) {
	if !singleStatement(familyPostgres, q.SQL) {
		return "", nil, false, nil
	}
	var (
		reported bool
		current  time.Duration
	)
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("not a pgx connection")
		}
		pc := c.Conn().PgConn()
		switch pc.ParameterStatus("default_transaction_read_only") {
		case "on":
			reported = true
		case "": // before PostgreSQL 14
			return nil
		default:
			return fmt.Errorf("the session is no longer read-only (a query changed default_transaction_read_only), its connection is closed: %w", driver.ErrBadConn)
		}
		if pc.TxStatus() != 'I' {
			return fmt.Errorf("a query left a transaction open, its connection is closed: %w", driver.ErrBadConn)
		}
		current, _ = pc.CustomData()[sessionTimeoutKey].(time.Duration)
		return nil
	})
	if err != nil || !reported {
		return "", nil, false, err
	}
	if current != q.timeout {
		ms := timeoutMillis(q.timeout)
		if _, err := conn.ExecContext(ctx, "SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $1, false)", ms); err != nil {
			return "", nil, false, fmt.Errorf("setting the server-side timeout: %w", err)
		}
		_ = conn.Raw(func(dc any) error {
			dc.(*stdlib.Conn).Conn().PgConn().CustomData()[sessionTimeoutKey] = q.timeout
			return nil
		})
	}
	return q.SQL, nil, true, nil
}

// limit is SET LOCAL statement_timeout and lock_timeout, in the function form that
// takes the value as a parameter; both end with the transaction.
func (postgresDialect) limit(ctx context.Context, _ *sql.Conn, tx *sql.Tx, d time.Duration) (func(), error) {
	ms := timeoutMillis(d)
	_, err := tx.ExecContext(ctx, "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true)", ms)
	return nil, err
}

func (postgresDialect) readOnly(err error) bool { return pgCode(err) == pgReadOnlySQLTransaction }

func (postgresDialect) timedOut(err error) bool {
	c := pgCode(err)
	return c == pgQueryCanceled || c == pgLockNotAvailable
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
