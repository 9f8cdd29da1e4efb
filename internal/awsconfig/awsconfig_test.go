package awsconfig

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/rds"
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

	var throttled int
	calls := map[string]int{}
	c, err := New(context.Background(), Settings{
		Region: "us-east-1", Endpoints: Endpoints{RDS: srv.URL}, MaxAttempts: 5, MaxBackoff: 1,
		OnThrottledRetry: func() { throttled++ },
		OnCall:           func(op string, err error) { calls[op+"/"+map[bool]string{true: "ok", false: "error"}[err == nil]]++ },
	})
	require.NoError(t, err)
	_, err = c.RDS.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
	require.NoError(t, err, "throttling is retried")
	assert.Equal(t, 2, throttled)
	assert.Equal(t, map[string]int{"DescribeDBInstances/ok": 1}, calls, "one call per operation, after its retries")
}
