package sqlquery

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/collector/config/configtls"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
)

// A DSN may carry driver options that undo what the receiver guarantees. Each is
// rejected by Validate, naming the option (never the DSN), and forced off when the
// connector is built, should a configuration reach it unvalidated.
//
//   - MySQL multiStatements=true: one query text would run several statements, say
//     "select 1; commit; drop table t", the commit ending the read-only transaction.
//   - MySQL allowAllFiles=true: LOAD DATA LOCAL INFILE could read any file of the
//     collector's host.
//   - PostgreSQL default_query_exec_mode=simple_protocol or exec: the simple query
//     protocol runs several statements from one text (exec uses it for statements
//     without arguments). The extended protocol, which every other mode uses, refuses them.
//   - PostgreSQL sslmode=prefer or allow, MySQL tls=preferred or
//     allowFallbackToPlaintext=true: a silent fallback to plaintext. Plaintext must be asked for (sslmode=disable, tls=false, or insecure: true).

// pgUnsafeExecModes are the pgx query modes that use the simple protocol.
var pgUnsafeExecModes = []string{"simple_protocol", "exec"}

// checkDSN tells whether dsn parses for engine and holds no unsafe option; tls is the
// target's tls block, which must be left alone when the DSN sets TLS itself. Messages
// never quote the DSN.
func checkDSN(engine, dsn string, tls configtls.ClientConfig) error {
	var errs []error
	tlsInDSN := ""
	switch discovery.EngineFamily(engine) {
	case familyMySQL:
		cfg, err := parseMySQLDSN(dsn)
		if err != nil {
			return err
		}
		if cfg.MultiStatements {
			errs = append(errs, errors.New("dsn: multiStatements=true lets one query run several statements (and end the read-only transaction); remove it"))
		}
		if cfg.AllowAllFiles {
			errs = append(errs, errors.New("dsn: allowAllFiles=true lets a query read any file of the collector's host; remove it"))
		}
		if cfg.TLSConfig != "" {
			tlsInDSN = "tls=" + cfg.TLSConfig
		}
		switch {
		case cfg.TLSConfig == "preferred":
			errs = append(errs, errors.New("dsn: tls=preferred falls back to plaintext silently; use tls=true (or tls=false to ask for plaintext)"))
		case cfg.AllowFallbackToPlaintext:
			errs = append(errs, errors.New("dsn: allowFallbackToPlaintext=true falls back to plaintext silently; remove it"))
		}
	case familyPostgres:
		if _, err := parsePostgresDSN(dsn); err != nil {
			return err
		}
		if v, ok := pgParam(dsn, "default_query_exec_mode"); ok && containsFold(pgUnsafeExecModes, v) {
			errs = append(errs, fmt.Errorf("dsn: default_query_exec_mode=%s uses the simple protocol, which runs several statements from one query; remove it", v))
		}
		if v, ok := pgParam(dsn, "sslmode"); ok {
			tlsInDSN = "sslmode=" + v
			if strings.EqualFold(v, "prefer") || strings.EqualFold(v, "allow") {
				errs = append(errs, fmt.Errorf("dsn: sslmode=%s falls back to plaintext silently; use sslmode=verify-full (or sslmode=disable to ask for plaintext)", v))
			}
		}
	}
	if tlsInDSN != "" && !reflect.DeepEqual(tls, configtls.ClientConfig{}) {
		errs = append(errs, fmt.Errorf("tls: set, but the dsn sets TLS too (%s); configure TLS in one place", tlsInDSN))
	}
	return errors.Join(errs...)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

var pgKeyword = regexp.MustCompile(`(?:^|\s)([a-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)`)

// pgParam is the value of a PostgreSQL connection-string parameter, in URL or
// keyword/value form, when the DSN sets it (not from the PG* environment).
func pgParam(dsn, key string) (string, bool) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil || !u.Query().Has(key) {
			return "", false
		}
		return u.Query().Get(key), true
	}
	v, ok := "", false
	for _, m := range pgKeyword.FindAllStringSubmatch(dsn, -1) {
		if m[1] == key {
			v, ok = strings.Trim(m[2], "'"), true
		}
	}
	return v, ok
}

// forceSafeMySQL turns off what checkDSN rejects.
func forceSafeMySQL(cfg *mysql.Config) {
	cfg.MultiStatements = false
	cfg.AllowAllFiles = false
	cfg.AllowFallbackToPlaintext = false
}

// forceSafePostgres makes every query use the extended protocol, one statement per text.
func forceSafePostgres(cc *pgx.ConnConfig) {
	if cc.DefaultQueryExecMode == pgx.QueryExecModeSimpleProtocol || cc.DefaultQueryExecMode == pgx.QueryExecModeExec {
		cc.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	}
}
