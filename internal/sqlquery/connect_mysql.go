package sqlquery

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/go-sql-driver/mysql"
	"go.uber.org/zap"
)

// MySQL and MariaDB error numbers.
const (
	erReadOnlyTransaction = 1792 // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
	erLockWaitTimeout     = 1205 // ER_LOCK_WAIT_TIMEOUT
	erMariaDBStmtTimeout  = 1969 // ER_STATEMENT_TIMEOUT (max_statement_time)
	erMySQLQueryTimeout   = 3024 // ER_QUERY_TIMEOUT (max_execution_time)
)

// parseMySQLDSN parses a configured go-sql-driver/mysql DSN. The parser's message may
// quote the DSN and its password, so it is not passed on.
func parseMySQLDSN(dsn string) (*mysql.Config, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, errors.New("dsn: not a valid go-sql-driver/mysql DSN (user:password@tcp(host:port)/database?param=value)")
	}
	return cfg, nil
}

// mysqlConnector builds the target's connector from a *mysql.Config: from the
// configured DSN or from the target's fields, never from an assembled string.
func mysqlConnector(t *Target, creds aws.CredentialsProvider, logger *zap.Logger) (driver.Connector, func(*sql.DB) dialect, []string, error) {
	var cfg *mysql.Config
	if t.DSN != "" {
		var err error
		if cfg, err = parseMySQLDSN(string(t.DSN)); err != nil {
			return nil, nil, nil, err
		}
	} else {
		cfg = mysql.NewConfig()
		cfg.Net = "tcp"
		cfg.Addr = t.address()
		cfg.User = t.Credentials.Username
		cfg.Passwd = string(t.Credentials.Password)
		cfg.DBName = t.database()
	}
	secrets := []string{cfg.Passwd}
	host, portText, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		host, portText = cfg.Addr, "3306"
	}
	port, _ := strconv.Atoi(portText)

	if !strings.Contains(cfg.ConnectionAttributes, "program_name:") {
		cfg.ConnectionAttributes = strings.Trim(cfg.ConnectionAttributes+",program_name:"+ApplicationName, ",")
	}
	if cfg.Timeout <= 0 || cfg.Timeout > ConnectTimeout {
		cfg.Timeout = ConnectTimeout
	}
	cfg.Logger = mysqlLogger{logger}
	forceSafeMySQL(cfg)
	if cfg.TLSConfig == "" { // else the DSN set TLS itself
		tlsCfg, err := tlsClientConfig(t.Credentials.TLS, host)
		if err != nil {
			return nil, nil, secrets, err
		}
		cfg.TLS = tlsCfg // nil: plaintext, asked for with insecure: true
	}
	if t.Credentials.IAMAuth {
		iam, err := newIAMAuth(creds, t.Region, host, cfg.User)
		if err != nil {
			return nil, nil, secrets, err
		}
		// RDS checks the token with the cleartext plugin, which TLS (required) protects.
		cfg.AllowCleartextPasswords = true
		err = cfg.Apply(mysql.BeforeConnect(func(ctx context.Context, c *mysql.Config) error {
			tok, err := iam.token(ctx, host, port)
			c.Passwd = tok
			return err
		}))
		if err != nil {
			return nil, nil, secrets, err
		}
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, nil, secrets, err
	}
	sessions := mysqlSessionConnector{Connector: conn, mariadb: t.Engine == "mariadb"}
	return sessions, func(*sql.DB) dialect { return &mysqlDialect{connector: conn, logger: logger} }, secrets, nil
}

// mysqlDialect covers MySQL, Aurora MySQL and MariaDB.
type mysqlDialect struct {
	// connector opens the connection that kills a statement: not one of the pool, which
	// may have none to spare.
	connector driver.Connector
	logger    *zap.Logger
}

func (*mysqlDialect) session(conn *sql.Conn) (*mysqlSession, error) {
	var s *mysqlSession
	err := conn.Raw(func(dc any) error {
		var ok bool
		if s, ok = dc.(*mysqlSession); !ok {
			return errors.New("not a session of the receiver")
		}
		return nil
	})
	return s, err
}

// single runs a query that cannot commit (not CALL, ...) on MariaDB as one statement
// that carries its own read-only mode and timeout: SET STATEMENT restores both when
// the statement ends, so no query, not even one calling a stored function that makes
// the session read-write, changes what the next one runs under. MySQL has no such
// statement: there, every query runs in a read-only transaction.
func (d *mysqlDialect) single(_ context.Context, conn *sql.Conn, q *query) (string, func(), bool, error) {
	s, err := d.session(conn)
	if err != nil || !s.mariadb || !singleStatement(familyMySQL, q.SQL) {
		return "", nil, false, err
	}
	secs := strconv.FormatFloat(max(q.timeout.Seconds(), 0.001), 'f', 3, 64)
	return "SET STATEMENT tx_read_only = 1, max_statement_time = " + secs + " FOR " + q.SQL, d.abort(s.id), true, nil
}

// limit sets the session's statement timeout: max_statement_time (seconds) on MariaDB,
// max_execution_time (milliseconds) on MySQL.
func (d *mysqlDialect) limit(ctx context.Context, conn *sql.Conn, tx *sql.Tx, timeout time.Duration) (func(), error) {
	s, err := d.session(conn)
	if err != nil {
		return nil, err
	}
	stmt := "SET SESSION max_execution_time = " + strconv.FormatInt(max(timeout.Milliseconds(), 1), 10)
	if s.mariadb {
		stmt = "SET SESSION max_statement_time = " + strconv.FormatFloat(max(timeout.Seconds(), 0.001), 'f', 3, 64)
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return nil, err
	}
	return d.abort(s.id), nil
}

// abort kills the statement of connection id: on a client-side timeout the driver only
// closes its socket, and the server would run the statement to its end.
func (d *mysqlDialect) abort(id uint64) func() {
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), abortTimeout)
		defer cancel()
		if err := d.kill(ctx, id); err != nil {
			d.logger.Debug("KILL QUERY after a client-side timeout failed", zap.Uint64("connection_id", id), zap.Error(err))
		}
	}
}

// kill stops the statement of connection id from a connection of its own.
func (d *mysqlDialect) kill(ctx context.Context, id uint64) error {
	conn, err := d.connector.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	execer, ok := conn.(driver.ExecerContext)
	if !ok {
		return errors.New("driver connection cannot execute statements")
	}
	_, err = execer.ExecContext(ctx, "KILL QUERY "+strconv.FormatUint(id, 10), nil)
	return err
}

func (*mysqlDialect) readOnly(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == erReadOnlyTransaction
}

func (*mysqlDialect) timedOut(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case erMariaDBStmtTimeout, erMySQLQueryTimeout, erLockWaitTimeout:
		return true
	}
	return false
}

// mysqlLogger sends the driver's own messages (bad idle connections and the like) to
// the collector's log at debug level instead of stderr.
type mysqlLogger struct{ logger *zap.Logger }

func (l mysqlLogger) Print(v ...any) {
	l.logger.Debug("mysql driver", zap.String("message", strings.TrimSpace(fmt.Sprint(v...))))
}
