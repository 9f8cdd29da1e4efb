package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func isolate(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIABASE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "base-secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_RDS", "")
}

// fakeAWS answers STS AssumeRole and RDS DescribeDBInstances (empty), recording who signed.
type fakeAWS struct {
	mu       sync.Mutex
	assumed  []string // "RoleArn|ExternalId"
	signedBy []string // access key id of each RDS call
	throttle int
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Form.Get("Action") {
	case "AssumeRole":
		f.assumed = append(f.assumed, r.Form.Get("RoleArn")+"|"+r.Form.Get("ExternalId"))
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIAASSUMED</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/otelcol-rds</Arn><AssumedRoleId>AROA:otelcol-rds</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`))
	case "DescribeDBInstances":
		auth := r.Header.Get("Authorization")
		_, after, _ := strings.Cut(auth, "Credential=")
		key, _, _ := strings.Cut(after, "/")
		f.signedBy = append(f.signedBy, key)
		w.Header().Set("Content-Type", "text/xml")
		if f.throttle > 0 {
			f.throttle--
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>2</RequestId></ErrorResponse>`))
			return
		}
		_, _ = w.Write([]byte(`<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult><DBInstances/></DescribeDBInstancesResult><ResponseMetadata><RequestId>3</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`))
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

func TestAssumeRoleWithExternalID(t *testing.T) {
	isolate(t)
	fake := &fakeAWS{}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	c, err := New(context.Background(), Settings{
		Region: "eu-west-1", RoleARN: "arn:aws:iam::123456789012:role/otelcol-rds", ExternalID: "ext-42",
		Endpoints: Endpoints{RDS: srv.URL, STS: srv.URL},
	})
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", c.Region)
	assert.Empty(t, fake.assumed, "no network call before the first request")

	for range 2 {
		_, err = c.RDS.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"arn:aws:iam::123456789012:role/otelcol-rds|ext-42"}, fake.assumed, "role assumed once and cached")
	assert.Equal(t, []string{"ASIAASSUMED", "ASIAASSUMED"}, fake.signedBy, "calls signed with the role's credentials")
}

func TestEndpointsFromEnvironmentAreHonoured(t *testing.T) {
	isolate(t)
	fake := &fakeAWS{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	t.Setenv("AWS_REGION", "ap-southeast-2")
	t.Setenv("AWS_ENDPOINT_URL_RDS", srv.URL)

	c, err := New(context.Background(), Settings{})
	require.NoError(t, err)
	assert.Equal(t, "ap-southeast-2", c.Region, "region from AWS_REGION")
	_, err = c.RDS.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"AKIABASE"}, fake.signedBy, "AWS_ENDPOINT_URL_RDS used, base credentials from the environment")
}

func TestNoRegionIsAClearError(t *testing.T) {
	isolate(t)
	_, err := New(context.Background(), Settings{})
	assert.ErrorContains(t, err, "no AWS region")
}

func TestUnknownProfileIsAClearError(t *testing.T) {
	isolate(t)
	_, err := New(context.Background(), Settings{Region: "us-east-1", Profile: "nope"})
	assert.ErrorContains(t, err, `profile "nope"`)
}

func TestThrottledRetriesAndCallsAreCounted(t *testing.T) {
	isolate(t)
	fake := &fakeAWS{throttle: 2}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	retries := map[string]int{}
	calls := map[string]int{}
	c, err := New(context.Background(), Settings{
		Region: "us-east-1", Endpoints: Endpoints{RDS: srv.URL}, MaxAttempts: 5, MaxBackoff: 1,
		OnRetry: func(op, reason string) { retries[op+"/"+reason]++ },
		OnCall:  func(op string, err error) { calls[op+"/"+map[bool]string{true: "ok", false: "error"}[err == nil]]++ },
	})
	require.NoError(t, err)
	_, err = c.RDS.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
	require.NoError(t, err, "throttling is retried")
	assert.Equal(t, map[string]int{"DescribeDBInstances/throttling": 2}, retries)
	assert.Equal(t, map[string]int{"DescribeDBInstances/ok": 1}, calls, "one call per operation, after its retries")
}

// faultyAWS answers RDS calls with the faults queued for their action, then with success.
type faultyAWS struct {
	mu     sync.Mutex
	faults map[string][]string // action -> "500", "503", "throttle", "timeout", "close"
	served map[string]int
}

func (f *faultyAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	action := r.Form.Get("Action")
	f.mu.Lock()
	f.served[action]++
	var fault string
	if q := f.faults[action]; len(q) > 0 {
		fault, f.faults[action] = q[0], q[1:]
	}
	f.mu.Unlock()

	w.Header().Set("Content-Type", "text/xml")
	rdsError := func(status int, code string) {
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>injected</Message></Error><RequestId>1</RequestId></ErrorResponse>`, code)
	}
	switch fault {
	case "500":
		rdsError(http.StatusInternalServerError, "InternalFailure")
	case "503":
		rdsError(http.StatusServiceUnavailable, "ServiceUnavailable")
	case "throttle":
		rdsError(http.StatusBadRequest, "Throttling")
	case "timeout": // AWS's own: the request took too long to arrive
		rdsError(http.StatusBadRequest, "RequestTimeout")
	case "close": // the connection closes before any answer
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	case "":
		_, _ = fmt.Fprintf(w, `<%[1]sResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><%[1]sResult></%[1]sResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></%[1]sResponse>`, action)
	}
}

// TestRetriesAreCountedByOperationAndReason: every retry the SDK makes is reported once, with
// its operation and why: a 5xx, throttling, a timeout, a closed or refused connection.
func TestRetriesAreCountedByOperationAndReason(t *testing.T) {
	isolate(t)
	fake := &faultyAWS{served: map[string]int{}, faults: map[string][]string{
		"DescribeDBInstances": {"500", "throttle", "close", "503", "timeout"},
		"DescribeDBClusters":  {"throttle", "500"},
	}}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	var mu sync.Mutex
	retries := map[string]int{}
	calls := map[string]int{}
	newClients := func(endpoint string, attempts int) *Clients {
		c, err := New(context.Background(), Settings{
			Region: "us-east-1", Endpoints: Endpoints{RDS: endpoint}, MaxAttempts: attempts, MaxBackoff: time.Millisecond,
			OnRetry: func(op, reason string) { mu.Lock(); retries[op+"/"+reason]++; mu.Unlock() },
			OnCall: func(op string, err error) {
				mu.Lock()
				calls[op+"/"+map[bool]string{true: "ok", false: "error"}[err == nil]]++
				mu.Unlock()
			},
		})
		require.NoError(t, err)
		return c
	}

	c := newClients(srv.URL, 10)
	_, err := c.RDS.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
	require.NoError(t, err, "every fault is retried")
	_, err = c.RDS.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{
		"DescribeDBInstances/5xx":        2,
		"DescribeDBInstances/throttling": 1,
		"DescribeDBInstances/connection": 1,
		"DescribeDBInstances/timeout":    1,
		"DescribeDBClusters/throttling":  1,
		"DescribeDBClusters/5xx":         1,
	}, retries)
	assert.Equal(t, map[string]int{"DescribeDBInstances": 6, "DescribeDBClusters": 3}, fake.served, "one request per attempt")
	assert.Equal(t, map[string]int{"DescribeDBInstances/ok": 1, "DescribeDBClusters/ok": 1}, calls)

	// The last attempt's failure is not a retry: 3 attempts, 2 retries, then the error.
	clear(retries)
	clear(calls)
	fake.faults["DescribeDBInstances"] = []string{"500", "500", "500", "500"}
	c = newClients(srv.URL, 3)
	_, err = c.RDS.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
	require.Error(t, err)
	assert.Equal(t, map[string]int{"DescribeDBInstances/5xx": 2}, retries)
	assert.Equal(t, map[string]int{"DescribeDBInstances/error": 1}, calls)

	// Nobody listening: the refused connections are retried as connection errors.
	clear(retries)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	c = newClients(closed, 3)
	_, err = c.RDS.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
	require.Error(t, err)
	assert.Equal(t, map[string]int{"DescribeDBInstances/connection": 2}, retries)
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestRetryReason(t *testing.T) {
	status := func(code int) error {
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: errors.New("x")}
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Throttling", &smithy.GenericAPIError{Code: "Throttling"}, RetryThrottling},
		{"a 400 without a retryable code", &awshttp.ResponseError{ResponseError: status(400).(*smithyhttp.ResponseError)}, RetryOther},
		{"throttling with a 503", fmt.Errorf("op: %w", &smithy.OperationError{Err: &smithy.GenericAPIError{Code: "ThrottlingException"}}), RetryThrottling},
		{"500", status(500), Retry5xx},
		{"502", status(502), Retry5xx},
		{"504 (a gateway timeout is an answer)", status(504), Retry5xx},
		{"RequestTimeout from AWS", &smithy.GenericAPIError{Code: "RequestTimeout"}, RetryTimeout},
		{"client timeout", &smithyhttp.RequestSendError{Err: &url.Error{Op: "Post", URL: "https://rds", Err: timeoutError{}}}, RetryTimeout},
		{"closed connection", &smithyhttp.RequestSendError{Err: &url.Error{Op: "Post", URL: "https://rds", Err: io.EOF}}, RetryConnection},
		{"reset", &url.Error{Op: "Post", URL: "https://rds", Err: errors.New("read: connection reset by peer")}, RetryConnection},
		{"anything else", errors.New("PriorRequestNotComplete"), RetryOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, RetryReason(tc.err))
		})
	}
}
