package osmetrics

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestParseGolden parses one document of each format in the shape RDS writes it and
// compares every parsed value with testdata/<name>.golden.json.
func TestParseGolden(t *testing.T) {
	for _, tt := range []struct {
		name    string
		format  Format
		unknown int
	}{
		{"linux", Linux, 1}, // newFieldFromTheFuture; vmlimit ("unlimited", "") is known and not a metric
		{"aurora", Aurora, 0},
		{"windows", Windows, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", tt.name+".json"))
			require.NoError(t, err)
			s, err := Parse(in)
			require.NoError(t, err)
			assert.Equal(t, tt.format, s.Format)
			assert.Equal(t, tt.unknown, s.Unknown)
			got, err := json.MarshalIndent(s, "", "  ")
			require.NoError(t, err)
			golden := filepath.Join("testdata", tt.name+".golden.json")
			if *update {
				require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(got))
		})
	}
}

func TestParseUnits(t *testing.T) {
	in, err := os.ReadFile("testdata/linux.json")
	require.NoError(t, err)
	s, err := Parse(in)
	require.NoError(t, err)
	assert.Equal(t, "db-W4JYUYWNNIV7T2NDKTV6WJSIXU", s.ResourceID)
	assert.Equal(t, 283*86400+22*3600+33*60+14.0, *s.Uptime)
	assert.Contains(t, s.Memory, Value{"free", 1090908 * 1024})
	assert.Contains(t, s.CPU, Value{"steal", 0.07})
	require.Len(t, s.Disks, 3)
	assert.Equal(t, "rdsdev", s.Disks[0].Device)
	assert.InDelta(t, 0.00137, *s.Disks[0].Await, 1e-12, "ms to s")
	assert.InDelta(t, 56.8*1024, *s.Disks[0].WriteBytes, 1e-9)
	assert.True(t, s.Disks[2].Physical)
	require.Len(t, s.Processes, 4)
	assert.Equal(t, int64(2923), s.Processes[1].PID, "tgid is the process")
	assert.Equal(t, int64(3012), s.Processes[1].Thread, "id is the thread")
	assert.True(t, s.Processes[3].Summary)

	a, err := os.ReadFile("testdata/aurora.json")
	require.NoError(t, err)
	s, err = Parse(a)
	require.NoError(t, err)
	assert.Equal(t, AuroraStorage, s.Disks[0].Device)
	assert.InDelta(t, 0.00241, *s.Disks[0].WriteLatency, 1e-12)
	assert.Equal(t, 1048576.0, *s.Disks[0].WriteBytes)
	assert.Equal(t, 1.2, *s.Disks[0].QueueLength)
}

func TestParseBadInput(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":     `{"timestamp": `,
		"no timestamp": `{"engine":"MYSQL"}`,
		"bad time":     `{"timestamp":"yesterday"}`,
	} {
		_, err := Parse([]byte(doc))
		assert.Error(t, err, name)
	}
	// Wrong types inside are skipped and counted, never fatal.
	s, err := Parse([]byte(`{"timestamp":"2025-06-02T12:00:00Z","cpuUtilization":{"user":"high","idle":90},"memory":[1],"uptime":"forever","fileSys":{"x":1}}`))
	require.NoError(t, err)
	assert.Equal(t, []Value{{"idle", 90}}, s.CPU)
	assert.Equal(t, 4, s.Unknown)
}

func TestTop(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	procs := []Process{
		{Name: "a", CPUPercent: f(50), MemoryPercent: f(1)},
		{Name: "b", CPUPercent: f(1), MemoryPercent: f(40)},
		{Name: "c", CPUPercent: f(30), MemoryPercent: f(30)},
		{Name: "d", CPUPercent: f(2), MemoryPercent: f(2)},
		{Name: OSProcesses, Summary: true},
		{Name: RDSProcesses, Summary: true},
	}
	names := func(ps []Process) (out []string) {
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	assert.Equal(t, []string{"a", "b", OSProcesses, RDSProcesses}, names(Top(procs, 1)))
	assert.Equal(t, []string{"a", "b", "c", OSProcesses, RDSProcesses}, names(Top(procs, 2)))
	assert.Equal(t, []string{OSProcesses, RDSProcesses}, names(Top(procs, 0)))
}
