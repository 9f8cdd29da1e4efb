package sqlquery

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/zap"
)

const (
	connMaxLifetime = 30 * time.Minute
	connMaxIdleTime = 5 * time.Minute
	// abortTimeout bounds the out-of-band statement kill after a client-side timeout or
	// at shutdown; shorter than maxShutdownWait.
	abortTimeout = 2 * time.Second
)

// dialect is what differs between the engines once connected.
type dialect interface {
	// single readies conn to run q as one statement and returns the text to send, and
	// how to stop the statement from another connection when the client gives up (nil
	// when the driver's own cancellation does it). ok is false when q must run in a
	// read-only transaction instead (limit).
	single(ctx context.Context, conn *sql.Conn, q *query) (text string, abort func(), ok bool, err error)
	// limit makes the server stop the statements that follow in tx, a transaction of
	// conn, after d (and not wait longer than d for locks), and returns the same abort.
	limit(ctx context.Context, conn *sql.Conn, tx *sql.Tx, d time.Duration) (abort func(), err error)
	// readOnly tells whether err is the server refusing a write in a read-only transaction.
	readOnly(err error) bool
	// timedOut tells whether err is the server-side statement or lock timeout.
	timedOut(err error) bool
}

// pool is one target's bounded connection pool, reused across collections.
type pool struct {
	db      *sql.DB
	dialect dialect
	health  *health
	// secrets are scrubbed from every error message about this target.
	secrets []string
}

// poolOptions are what opening a pool needs besides the target.
type poolOptions struct {
	creds  aws.CredentialsProvider
	logger *zap.Logger
	tel    telemetry
}

// openPool opens the target's pool; its sessions start with timeout as their statement
// timeout where the engine sets it per session (PostgreSQL).
func openPool(t *Target, o poolOptions, timeout time.Duration) (*pool, error) {
	h := &health{target: telemetryTarget(t), static: t.Static, tel: o.tel}
	var (
		conn    driver.Connector
		d       func(*sql.DB) dialect
		secrets []string
		err     error
	)
	switch t.family() {
	case familyMySQL:
		conn, d, secrets, err = mysqlConnector(t, o.creds, o.logger)
	case familyPostgres:
		conn, d, secrets, err = postgresConnector(t, o.creds, timeout)
	default:
		return nil, fmt.Errorf("engine %q is neither MySQL nor PostgreSQL", t.Engine)
	}
	secrets = append(secrets, string(t.DSN), string(t.Credentials.Password))
	if err != nil {
		return nil, scrub(err, "", secrets)
	}
	db := sql.OpenDB(observedConnector{Connector: conn, health: h})
	db.SetMaxOpenConns(1) // until resize
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(connMaxLifetime)
	db.SetConnMaxIdleTime(connMaxIdleTime)
	return &pool{db: db, dialect: d(db), health: h, secrets: secrets}, nil
}

// resize sets the pool's size: as many connections as queries may run at once on the
// target. All may stay idle between collections (up to connMaxIdleTime): closing and
// opening them again every cycle would cost a login, and a TLS handshake, per query.
func (p *pool) resize(n int) {
	p.db.SetMaxOpenConns(n)
	p.db.SetMaxIdleConns(n)
}

// health is what the last connection attempt to a target said.
type health struct {
	target string // in telemetry
	static bool   // target_up is per static target only
	tel    telemetry

	mu      sync.Mutex
	lastErr error // nil after a success
}

func (h *health) record(err error) {
	h.mu.Lock()
	h.lastErr = err
	h.mu.Unlock()
	if h.static {
		h.tel.up(h.target, err == nil)
	}
}

// down returns the error of the last connection attempt if it failed.
func (h *health) down() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastErr
}

// observedConnector reports every connection attempt to health: that is what
// target_up and the backoff are made of.
type observedConnector struct {
	driver.Connector
	health *health
}

// Connect bounds the attempt by ConnectTimeout, whatever the query's own timeout: a
// target that accepts connections and never answers is down, not slow. An attempt cut
// short by a cancellation (shutdown, target removed) says nothing about the target.
func (c observedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dialCtx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	conn, err := c.Connector.Connect(dialCtx)
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return conn, err
	}
	if err != nil && dialCtx.Err() != nil {
		err = fmt.Errorf("no answer within %v: %w", min(ConnectTimeout, time.Until(deadlineOf(ctx))), err)
	}
	err = withTLSHint(err)
	c.health.record(err)
	return conn, err
}

// deadlineOf is ctx's deadline, or far in the future.
func deadlineOf(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(24 * time.Hour)
}
