package sqlquery

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// mysqlSession is a MySQL or MariaDB connection with what its one-time setup learned:
// the id that KILL QUERY needs and whether the server is MariaDB, which runs a query
// with its read-only mode and timeout in the same statement (SET STATEMENT ... FOR).
type mysqlSession struct {
	driver.Conn
	id      uint64
	mariadb bool
}

// mysqlSessionConnector runs the setup once per new connection.
type mysqlSessionConnector struct {
	driver.Connector
	mariadb bool // known from the engine name; otherwise told by VERSION()
}

func (c mysqlSessionConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	s := &mysqlSession{Conn: conn, mariadb: c.mariadb}
	if err := s.setup(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("setting up the session: %w", err)
	}
	return s, nil
}

func (s *mysqlSession) setup(ctx context.Context) error {
	q, ok := s.Conn.(driver.QueryerContext)
	if !ok {
		return errors.New("driver connection cannot run queries")
	}
	rows, err := q.QueryContext(ctx, "SELECT CONNECTION_ID(), VERSION()", nil)
	if err != nil {
		return err
	}
	defer rows.Close()
	row := make([]driver.Value, 2)
	if err := rows.Next(row); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("no row")
		}
		return err
	}
	id, err := strconv.ParseUint(asText(row[0]), 10, 64)
	if err != nil {
		return fmt.Errorf("CONNECTION_ID(): %w", err)
	}
	s.id = id
	s.mariadb = s.mariadb || strings.Contains(asText(row[1]), "MariaDB")
	return nil
}

// asText is a driver value of the text protocol as a string.
func asText(v driver.Value) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// The interfaces database/sql looks for, passed on to the driver's connection.

func (s *mysqlSession) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return s.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (s *mysqlSession) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return s.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (s *mysqlSession) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return s.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (s *mysqlSession) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return s.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (s *mysqlSession) Ping(ctx context.Context) error { return s.Conn.(driver.Pinger).Ping(ctx) }

func (s *mysqlSession) ResetSession(ctx context.Context) error {
	return s.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (s *mysqlSession) IsValid() bool { return s.Conn.(driver.Validator).IsValid() }

func (s *mysqlSession) CheckNamedValue(nv *driver.NamedValue) error {
	return s.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}
