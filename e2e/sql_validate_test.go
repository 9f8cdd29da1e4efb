package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSQLValidateNamesTheFieldOnce: `otelcol-rds validate` refuses what would undo the
// SQL guarantees, and each message names the field and the value once (the collector
// walks nested configurations: a message must not come twice).
func TestSQLValidateNamesTheFieldOnce(t *testing.T) {
	otelcol := binary(t, "OTELCOL_RDS_BIN")
	const query = `{name: q, targets: [db], sql: "select 1 as v", metrics: [{name: v, value_column: v}]}`
	tests := []struct {
		name, sql, want string
	}{
		{"good", `targets: [{name: db, engine: mysql, dsn: "otel:pw@tcp(db.internal:3306)/app"}]
      queries: [` + query + `]`, ""},
		{"multiStatements", `targets: [{name: db, engine: mysql, dsn: "otel:pw@tcp(db.internal:3306)/app?multiStatements=true"}]
      queries: [` + query + `]`, "sql: targets[0].dsn: multiStatements=true lets one query run several statements"},
		{"simple protocol", `targets: [{name: db, engine: postgresql, dsn: "postgres://otel:pw@db.internal/app?default_query_exec_mode=simple_protocol"}]
      queries: [` + query + `]`, "sql: targets[0].dsn: default_query_exec_mode=simple_protocol uses the simple protocol"},
		{"several statements", `targets: [{name: db, engine: postgresql, host: db.internal, username: otel}]
      queries: [{name: q, targets: [db], sql: "select 1 as v; commit; drop table victim2", metrics: [{name: v, value_column: v}]}]`,
			"sql: queries[0].sql: 3 statements; a query is one statement"},
		{"max_series", `targets: [{name: db, engine: postgresql, host: db.internal, username: otel}]
      queries: [{name: q, targets: [db], sql: "select 1 as v", max_series: 100000000, metrics: [{name: v, value_column: v}]}]`,
			"sql: queries[0].max_series: 100000000 must be between 1 and 100000"},
		{"timeout", `targets: [{name: db, engine: postgresql, host: db.internal, username: otel}]
      queries: [{name: q, targets: [db], sql: "select 1 as v", timeout: 10ms, metrics: [{name: v, value_column: v}]}]`,
			"sql: queries[0].timeout: 10ms must be at least 1s"},
		{"max_concurrency", `max_concurrency: 100000
      targets: [{name: db, engine: postgresql, host: db.internal, username: otel}]
      queries: [` + query + `]`, "sql: max_concurrency: 100000 must be between 1 and 256"},
		{"old tls key", `targets: [{name: db, engine: postgresql, host: db.internal, username: otel, tls: {enabled: true}}]
      queries: [` + query + `]`, "enabled"},
		// configtls's own errors (min_version, ...) come twice, as for every component
		// that uses configtls: the collector calls ClientConfig's Validate and that of the
		// Config it embeds.
		{"plaintext with a CA", `targets: [{name: db, engine: postgresql, host: db.internal, username: otel, tls: {insecure: true, server_name_override: db}}]
      queries: [` + query + `]`, "sql: targets[0].tls.insecure: true (plaintext), but"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "config.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`receivers:
  awsrds:
    region: us-east-1
    sql:
      %s
exporters:
  debug:
service:
  pipelines:
    metrics: {receivers: [awsrds], exporters: [debug]}
`, tt.sql)), 0o600))
			out, err := exec.Command(otelcol, "validate", "--config", cfg).CombinedOutput()
			if tt.want == "" {
				require.NoError(t, err, string(out))
				return
			}
			require.Error(t, err, "validate accepted a bad config")
			assert.Equal(t, 1, strings.Count(string(out), tt.want), "reported once:\n%s", out)
			assert.NotContains(t, string(out), ":pw@", "a DSN is quoted")
		})
	}
}
