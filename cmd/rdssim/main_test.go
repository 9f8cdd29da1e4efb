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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			assert.Error(t, run(ctx, tt.args, io.Discard, io.Discard))
		})
	}
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
