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
func postgresConnector(t *Target, creds aws.CredentialsProvider) (driver.Connector, func(*sql.DB) dialect, []string, error) {
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
	var opts []stdlib.OptionOpenDB
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

// postgresDialect covers PostgreSQL and Aurora PostgreSQL.
type postgresDialect struct{}

// limit is SET LOCAL statement_timeout and lock_timeout, in the function form that
// takes the value as a parameter; both end with the transaction.
func (postgresDialect) limit(ctx context.Context, tx *sql.Tx, d time.Duration) (func(), error) {
	ms := strconv.FormatInt(max(d.Milliseconds(), 1), 10)
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
