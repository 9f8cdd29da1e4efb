package e2e

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// otlpLogs is an OTLP/HTTP logs endpoint that keeps what it receives.
type otlpLogs struct {
	mu   sync.Mutex
	logs []plog.Logs
}

func (o *otlpLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := otlpBody(w, r)
	if !ok {
		return
	}
	if r.URL.Path != "/v1/logs" {
		w.WriteHeader(http.StatusOK) // metrics are not what this test looks at
		return
	}
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.logs = append(o.logs, req.Logs())
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	resp, _ := plogotlp.NewExportResponse().MarshalProto()
	_, _ = w.Write(resp)
}

// otlpBody reads an OTLP/HTTP request's body, gzip-compressed (the exporter's default) or
// not; on error it answers 400 and returns false.
func otlpBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	var in io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return nil, false
		}
		in = zr
	}
	body, err := io.ReadAll(in)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, false
	}
	return body, true
}

type received struct {
	resource       map[string]any
	group, stream  string
	body, severity string
	timestamp      time.Time
}

func (o *otlpLogs) records() []received {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []received
	for _, ld := range o.logs {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				lrs := rl.ScopeLogs().At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					lr := lrs.At(k)
					group, _ := lr.Attributes().Get("aws.rds.log.group")
					stream, _ := lr.Attributes().Get("aws.rds.log.stream")
					out = append(out, received{rl.Resource().Attributes().AsRaw(), group.Str(), stream.Str(), lr.Body().Str(), lr.SeverityText(), lr.Timestamp().AsTime()})
				}
			}
		}
	}
	return out
}

// TestLogsArriveAtTheExporter: the built distribution with examples/logs.yaml reads the
// simulator's RDS log groups and its OTLP/HTTP exporter delivers the records, each with
// its instance's resource attributes and the simulator's message.
func TestLogsArriveAtTheExporter(t *testing.T) {
	otelcol := binary(t, "OTELCOL_RDS_BIN")
	rdssim := binary(t, "RDSSIM_BIN")

	simPort := freePort(t)
	simURL := fmt.Sprintf("http://127.0.0.1:%d", simPort)
	start(t, nil, rdssim, "-listen", fmt.Sprintf("127.0.0.1:%d", simPort), "-fleet", smallFleet)
	waitFor(t, "the simulator", 10*time.Second, func() bool { code, _, _ := get(simURL + "/_sim/counters"); return code == 200 })

	sink := &otlpLogs{}
	backend := httptest.NewServer(sink)
	defer backend.Close()

	// The example as written, pointed at the simulator (yaml: overrides, as a user would).
	env := append(awsEnv(), "OTLP_HTTP_ENDPOINT="+backend.URL, "STATE_DIRECTORY="+t.TempDir()) // file_storage
	start(t, env, otelcol, "--config", "../examples/logs.yaml",
		"--config", "yaml:receivers::awsrds::region: us-east-1",
		"--config", "yaml:receivers::awsrds::endpoints: {rds: "+simURL+", cloudwatch: "+simURL+", logs: "+simURL+"}",
		"--config", "yaml:service::telemetry::metrics::level: none")

	// The example watches env=prod: mysql-a (error, slowquery exported) and the aurora-a
	// cluster (error, slowquery); pg-a (staging) and maria-t3 (untagged) are not watched.
	wantStreams := map[string]bool{"mysql-a": true, "aurora-a-1": true, "aurora-a-2": true}
	var got []received
	waitFor(t, "log records of every watched instance", 60*time.Second, func() bool {
		got = sink.records()
		seen := map[string]bool{}
		for _, r := range got {
			seen[r.stream] = true
		}
		return len(seen) == len(wantStreams)
	})

	fleet, err := simulator.LoadFleet(smallFleet)
	require.NoError(t, err)
	truth := simulator.New(simulator.Config{Fleet: fleet})
	for _, r := range got {
		require.True(t, wantStreams[r.stream], "records of an instance the example does not watch: %s", r.stream)
		assert.Equal(t, r.stream, r.resource["aws.rds.db_instance.identifier"], "the stream's instance is the resource")
		assert.Equal(t, "us-east-1", r.resource["cloud.region"])
		assert.Equal(t, "prod", r.resource["aws.rds.tag.env"])
		assert.NotEmpty(t, r.resource["aws.rds.engine"])
		assert.Regexp(t, `^/aws/rds/(instance/mysql-a|cluster/aurora-a)/(error|slowquery)$`, r.group)

		var message string
		for _, e := range truth.LogEvents(r.group, r.timestamp, r.timestamp.Add(time.Millisecond)) {
			if e.Stream == r.stream {
				message = e.Message
			}
		}
		assert.Equal(t, message, r.body, "the simulator's event at %s in %s", r.timestamp, r.group)
	}
	severities := map[string]bool{}
	for _, r := range got {
		severities[r.severity] = true
	}
	assert.True(t, severities["NOTE"] || severities["WARNING"] || severities["ERROR"], "error log levels are parsed: %v", severities)
}
