package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

// TestSQLShutdownOnSIGTERM: SIGTERM while a SQL query sleeps 50 s (its timeout is 55 s):
// the real binary exits within 5 s, and the statement is gone from the server's
// activity list: cancelled on the server, not left running after the client went away.
// systemd's TimeoutStopSec=30s would otherwise SIGKILL the collector.
func TestSQLShutdownOnSIGTERM(t *testing.T) {
	otelcol := binary(t, "OTELCOL_RDS_BIN")
	rdssim := binary(t, "RDSSIM_BIN")
	servers := []struct {
		engine string
		start  func(testing.TB) *testdb.Server
		sql    string
		// active counts the sessions running the query.
		active string
	}{
		{"postgresql", testdb.StartPostgres, "select 1 as v from pg_sleep(50)",
			"select count(*) from pg_stat_activity where state = 'active' and query = 'select 1 as v from pg_sleep(50)'"},
		{"mariadb", testdb.StartMariaDB, "select sleep(50) as v",
			// The receiver sends it as SET STATEMENT ... FOR select sleep(50) as v.
			"select count(*) from information_schema.processlist where info like '%select sleep(50) as v'"},
	}
	for _, srv := range servers {
		t.Run(srv.engine, func(t *testing.T) {
			s := srv.start(t)
			admin := s.Admin(t)
			active := func() int {
				var n int
				require.NoError(t, admin.QueryRowContext(context.Background(), srv.active).Scan(&n))
				return n
			}

			simPort := freePort(t)
			simURL := fmt.Sprintf("http://127.0.0.1:%d", simPort)
			start(t, nil, rdssim, "-listen", fmt.Sprintf("127.0.0.1:%d", simPort), "-fleet", smallFleet)
			waitFor(t, "the simulator", 10*time.Second, func() bool { code, _, _ := get(simURL + "/_sim/counters"); return code == 200 })

			cfg := filepath.Join(t.TempDir(), "config.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`receivers:
  awsrds:
    region: us-east-1
    collection_interval: 60s
    endpoints: {rds: %[1]s, cloudwatch: %[1]s}
    sql:
      targets:
        - {name: db, engine: %[2]s, host: %[3]s, port: %[4]d, database: %[5]s, username: %[6]s, password: %[7]s, tls: {insecure: true}}
      queries:
        - name: sleeper
          targets: [db]
          sql: %[8]q
          timeout: 55s
          metrics: [{name: slept, value_column: v}]
exporters:
  debug:
service:
  telemetry:
    metrics: {level: none}
  pipelines:
    metrics: {receivers: [awsrds], exporters: [debug]}
`, simURL, srv.engine, s.Host, s.Port, s.Database, s.User, s.Password, srv.sql)), 0o600))

			cmd := exec.Command(otelcol, "--config", cfg)
			cmd.Env = append(os.Environ(), awsEnv()...)
			out := &syncBuffer{}
			cmd.Stdout, cmd.Stderr = out, out
			require.NoError(t, cmd.Start())
			exited := make(chan struct{})
			var waitErr error
			go func() { waitErr = cmd.Wait(); close(exited) }()
			t.Cleanup(func() {
				select {
				case <-exited:
				default:
					_ = cmd.Process.Kill()
					<-exited
				}
				if t.Failed() {
					t.Logf("otelcol-rds output:\n%s", out.String())
				}
			})

			waitFor(t, "the query running on the server", 30*time.Second, func() bool { return active() == 1 })
			time.Sleep(time.Second) // well into the 50 s

			sent := time.Now()
			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				t.Fatalf("still running 30 s after SIGTERM")
			}
			took := time.Since(sent)
			t.Logf("%s: exited %v after SIGTERM (%v)", srv.engine, took.Round(time.Millisecond), waitErr)
			assert.NoError(t, waitErr, "a clean exit")
			assert.Less(t, took, 5*time.Second, "exit within 5 s of SIGTERM")

			gone := time.Now()
			assert.Eventually(t, func() bool { return active() == 0 }, 2*time.Second, 20*time.Millisecond,
				"the query still runs on the server after the collector exited")
			t.Logf("%s: the query was gone from the activity list %v after the exit", srv.engine, time.Since(gone).Round(time.Millisecond))
			assert.NotContains(t, out.String(), s.Password)
		})
	}
}
