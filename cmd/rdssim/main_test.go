package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

var banner = regexp.MustCompile(`^rdssim listening on (http://127\.0\.0\.1:\d+) \((\d+) instances, (\d+) clusters\)$`)

// TestMain lets the test binary stand in for rdssim in TestSignals.
func TestMain(m *testing.M) {
	if os.Getenv("RDSSIM_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestRunServesUntilCancelled(t *testing.T) {
	tests := []struct {
		name                string
		args                []string
		instances, clusters string
	}{
		{"generated", []string{"-instances", "30", "-seed", "3"}, "30", ""},
		{"file", []string{"-fleet", "../../testdata/simulator/fleet-small.yaml", "-region", "eu-west-1", "-latency", "1ms"}, "7", "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pr, pw := io.Pipe()
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, append([]string{"-listen", "127.0.0.1:0"}, tt.args...), pw, io.Discard)
				pw.Close()
			}()
			line, err := bufio.NewReader(pr).ReadString('\n')
			require.NoError(t, err)
			m := banner.FindStringSubmatch(line[:len(line)-1])
			require.NotNil(t, m, "banner %q", line)
			assert.Equal(t, tt.instances, m[2])
			if tt.clusters != "" {
				assert.Equal(t, tt.clusters, m[3])
			}
			go io.Copy(io.Discard, pr) //nolint:errcheck // drain

			resp, err := http.Get(m[1] + "/_sim/fleet")
			require.NoError(t, err)
			var f simulator.Fleet
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&f))
			resp.Body.Close()
			assert.Equal(t, tt.instances, strconv.Itoa(len(f.Instances)))

			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("run did not return after cancel")
			}
		})
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"nothing to serve", nil},
		{"both", []string{"-fleet", "x.yaml", "-instances", "3"}},
		{"missing file", []string{"-fleet", "does-not-exist.yaml"}},
		{"unknown flag", []string{"-instances", "3", "-colour", "red"}},
		{"stray argument", []string{"-instances", "3", "extra"}},
		{"bad listen", []string{"-instances", "3", "-listen", "256.0.0.1:x"}},
		{"bad clock", []string{"-instances", "3", "-clock", "speed=fast"}},
		{"unknown status", []string{"-fleet", "../../testdata/simulator/fleet-small.yaml", "-status", "pg-a=napping"}},
		{"status of a missing instance", []string{"-fleet", "../../testdata/simulator/fleet-small.yaml", "-status", "nope=stopped"}},
		{"status without =", []string{"-instances", "3", "-status", "stopped"}},
		{"negative history", []string{"-instances", "3", "-history", "-1h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			assert.Error(t, run(ctx, tt.args, io.Discard, io.Discard))
		})
	}
}

// TestClockAndStatus runs rdssim on a scaled clock, from the flag or from
// OTELCOL_RDS_CLOCK, and checks that the simulator's time is that clock's.
func TestClockAndStatus(t *testing.T) {
	start := time.Date(2025, 6, 2, 12, 0, 30, 0, time.UTC)
	spec := func() string {
		return "start=" + start.Format(time.RFC3339) + ",at=" + strconv.FormatInt(time.Now().UnixNano(), 10) + ",speed=60"
	}
	tests := []struct {
		name     string
		args     []string
		env      string
		scaled   bool
		statuses map[string]string
		history  time.Duration
		partial  bool
	}{
		{"flag", []string{"-clock", spec(), "-status", "pg-a=stopped,maria-t3=creating"}, "", true,
			map[string]string{"pg-a": "stopped", "maria-t3": "creating", "mysql-a": "available"}, 3 * time.Hour, false},
		{"environment", []string{"-history", "6h"}, spec(), true, map[string]string{"pg-a": "available"}, 6 * time.Hour, false},
		{"flag wins over environment", []string{"-clock", "wall", "-partial-periods"}, spec(), false, nil, 3 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("OTELCOL_RDS_CLOCK", tt.env)
			base := startRun(t, append([]string{"-fleet", "../../testdata/simulator/fleet-small.yaml"}, tt.args...))
			var ti simulator.TimeInfo
			getJSON(t, base+"/_sim/time", &ti)
			assert.Equal(t, tt.partial, ti.PartialPeriods)
			assert.Equal(t, "1m0s", ti.PublicationLag)
			assert.InDelta(t, tt.history.Seconds(), ti.Now.Sub(ti.CreatedAt).Seconds(), 600, "created -history before start")
			if tt.scaled {
				assert.WithinDuration(t, start, ti.Now, 10*time.Minute, "the scaled clock's time")
			} else {
				assert.WithinDuration(t, time.Now(), ti.Now, time.Minute)
			}
			var hist map[string][]simulator.StatusChange
			getJSON(t, base+"/_sim/status", &hist)
			for id, want := range tt.statuses {
				require.NotEmpty(t, hist[id], id)
				assert.Equal(t, []simulator.StatusChange{{Status: want}}, hist[id], id)
			}
			resp, err := http.Post(base+"/_sim/status", "application/json", strings.NewReader(`{"identifier":"mysql-a","status":"stopped"}`))
			require.NoError(t, err)
			var change simulator.StatusChange
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&change))
			resp.Body.Close()
			if tt.scaled {
				assert.False(t, change.Since.Before(start), "the change is recorded on the scaled clock: %s", change.Since)
				assert.True(t, change.Since.Before(start.Add(30*time.Minute)), "at 60x, well within half an hour: %s", change.Since)
			} else {
				assert.WithinDuration(t, time.Now(), change.Since, time.Minute, "wall clock")
			}
		})
	}
}

// startRun runs rdssim with args on 127.0.0.1 until the test ends and returns its URL.
func startRun(t *testing.T, args []string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-listen", "127.0.0.1:0"}, args...), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("run did not return after cancel")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	m := banner.FindStringSubmatch(line[:len(line)-1])
	require.NotNil(t, m, "banner %q", line)
	go io.Copy(io.Discard, pr) //nolint:errcheck // drain
	return m[1]
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

func TestSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-listen", "127.0.0.1:0", "-instances", "5")
			cmd.Env = append(os.Environ(), "RDSSIM_RUN_MAIN=1")
			out, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			line, err := bufio.NewReader(out).ReadString('\n')
			require.NoError(t, err)
			require.Regexp(t, banner, line[:len(line)-1])
			require.NoError(t, cmd.Process.Signal(sig))
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case err := <-waited:
				assert.NoError(t, err, "exits cleanly")
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("rdssim did not exit")
			}
		})
	}
}
