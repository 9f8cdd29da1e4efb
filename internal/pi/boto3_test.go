package pi_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/pi"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// received is one request as the server saw it.
type received struct {
	header http.Header
	host   string
	method string
	path   string
	body   []byte
}

// recorder keeps every request before the simulator answers it.
type recorder struct {
	mu   sync.Mutex
	reqs []received
	next http.Handler
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, received{r.Header.Clone(), r.Host, r.Method, r.URL.EscapedPath(), body})
	rc.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	rc.next.ServeHTTP(w, r)
}

func (rc *recorder) take() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := rc.reqs
	rc.reqs = nil
	return out
}

// verifySigV4 recomputes the request's AWS Signature Version 4 from the headers it
// names as signed, with the test's secret key, and returns the credential scope.
func verifySigV4(t *testing.T, r received, secret string) string {
	t.Helper()
	auth := r.header.Get("Authorization")
	require.True(t, strings.HasPrefix(auth, "AWS4-HMAC-SHA256 "), auth)
	fields := map[string]string{}
	for _, f := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	cred := strings.SplitN(fields["Credential"], "/", 2)
	require.Len(t, cred, 2)
	scope := cred[1]
	signed := strings.Split(fields["SignedHeaders"], ";")
	require.Contains(t, signed, "host")
	require.Contains(t, signed, "x-amz-date")
	require.Contains(t, signed, "x-amz-target", "the operation must be signed")
	var canon strings.Builder
	for _, h := range signed {
		v := r.host
		if h != "host" {
			v = strings.Join(r.header.Values(h), ",")
		}
		canon.WriteString(h + ":" + strings.Join(strings.Fields(v), " ") + "\n")
	}
	payload := sha256.Sum256(r.body)
	creq := strings.Join([]string{r.method, r.path, "", canon.String(), fields["SignedHeaders"], hex.EncodeToString(payload[:])}, "\n")
	hashed := sha256.Sum256([]byte(creq))
	date := r.header.Get("X-Amz-Date")
	toSign := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(hashed[:])
	key := []byte("AWS4" + secret)
	for _, part := range strings.Split(strings.TrimSuffix(scope, "/aws4_request"), "/") {
		key = hmacSHA256(key, part)
	}
	key = hmacSHA256(key, "aws4_request")
	assert.Equal(t, hex.EncodeToString(hmacSHA256(key, toSign)), fields["Signature"], "signature of %s", scope)
	return scope
}

func hmacSHA256(key []byte, s string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(s))
	return h.Sum(nil)
}

func pythonWithBoto3(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import boto3").Run() == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("python3 with boto3 is required in CI")
	}
	t.Skip("python3 with boto3 not found")
	return ""
}

type boto3Series struct {
	Metric     string            `json:"metric"`
	Dimensions map[string]string `json:"dimensions"`
	Timestamps []int64           `json:"timestamps"`
	Values     []float64         `json:"values"`
}

// TestBoto3SendsWhatTheGoClientSends sends the same GetResourceMetrics from boto3's pi
// client and from Read, and compares what the simulator received: operation, content
// type, a valid SigV4 signature for service pi, and the same JSON document. Both then
// parse the same series from the answers.
func TestBoto3SendsWhatTheGoClientSends(t *testing.T) {
	python := pythonWithBoto3(t)
	sim := simulator.New(simulator.Config{Fleet: testFleet(), Now: func() time.Time { return t0 }})
	rec := &recorder{next: sim}
	hs := httptest.NewServer(rec)
	t.Cleanup(hs.Close)
	rid := resourceID(sim, "pg-pi")
	start, end := t0.Add(-10*time.Minute).Truncate(time.Minute), t0.Truncate(time.Minute)

	series, _, err := pi.Read(context.Background(), client(hs.URL, 1), rid, loadQueries, start, end, time.Minute)
	require.NoError(t, err)
	goReqs := rec.take()
	require.Len(t, goReqs, 1)

	wire := map[string]any{"Identifier": rid, "StartTime": start.Unix(), "EndTime": end.Unix(), "PeriodInSeconds": 60}
	var qs []map[string]any
	for _, q := range loadQueries {
		m := map[string]any{"Metric": q.Metric}
		if q.Group != "" {
			m["GroupBy"] = map[string]any{"Group": q.Group, "Limit": q.Limit}
		}
		qs = append(qs, m)
	}
	wire["MetricQueries"] = qs
	arg, _ := json.Marshal(wire)
	cmd := exec.Command(python, "testdata/boto3_pi.py", hs.URL, string(arg))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID=AKIDSIM", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s", stderr.String())
	var rep struct {
		Botocore     string        `json:"botocore"`
		Series       []boto3Series `json:"series"`
		UnknownError string        `json:"unknown_error"`
	}
	require.NoError(t, json.Unmarshal(out, &rep))
	t.Logf("botocore %s", rep.Botocore)
	pyReqs := rec.take()
	require.Len(t, pyReqs, 2, "the read and the unknown identifier")

	goReq, pyReq := goReqs[0], pyReqs[0]
	for _, r := range []received{goReq, pyReq} {
		assert.Equal(t, "PerformanceInsightsv20180227.GetResourceMetrics", r.header.Get("X-Amz-Target"))
		assert.Equal(t, "application/x-amz-json-1.1", r.header.Get("Content-Type"))
		assert.Equal(t, "POST", r.method)
		assert.Equal(t, "/", r.path)
		scope := verifySigV4(t, r, "secret")
		assert.True(t, strings.HasSuffix(scope, "/us-east-1/pi/aws4_request"), scope)
	}
	var goDoc, pyDoc any
	require.NoError(t, json.Unmarshal(goReq.body, &goDoc))
	require.NoError(t, json.Unmarshal(pyReq.body, &pyDoc))
	assert.Equal(t, pyDoc, goDoc, "same JSON document\ngo:    %s\nboto3: %s", goReq.body, pyReq.body)

	assert.Equal(t, "NotAuthorizedException", rep.UnknownError, "boto3 maps the simulator's error to the modeled exception")
	// The series both parsed (Read leaves out the totals of grouped queries).
	var pySeries []string
	for _, s := range rep.Series {
		if len(s.Dimensions) == 0 && s.Metric == pi.Load {
			continue
		}
		pySeries = append(pySeries, describe(s.Metric, s.Dimensions, s.Timestamps, s.Values))
	}
	var goSeries []string
	for _, s := range series {
		stamps := make([]int64, len(s.Timestamps))
		for i, ts := range s.Timestamps {
			stamps[i] = ts.Unix()
		}
		goSeries = append(goSeries, describe(loadQueries[s.Query].Metric, s.Dimensions, stamps, s.Values))
	}
	sort.Strings(pySeries)
	sort.Strings(goSeries)
	assert.Equal(t, pySeries, goSeries)
}

func describe(metric string, dims map[string]string, stamps []int64, values []float64) string {
	if len(dims) == 0 {
		dims = nil
	}
	b, _ := json.Marshal(struct {
		M string
		D map[string]string
		T []int64
		V []float64
	}{metric, dims, stamps, values})
	return string(b)
}
