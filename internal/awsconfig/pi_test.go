package awsconfig

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pi"
	"github.com/aws/aws-sdk-go-v2/service/pi/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakePI answers GetResourceMetrics (awsJson1_1) with an empty result after the queued
// throttles, recording each request's target and SigV4 scope.
type fakePI struct {
	mu       sync.Mutex
	throttle int
	targets  []string
	scopes   []string
}

func (f *fakePI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.targets = append(f.targets, r.Header.Get("X-Amz-Target"))
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	cred, _, _ = strings.Cut(cred, ",")
	_, scope, _ := strings.Cut(cred, "/")
	f.scopes = append(f.scopes, scope)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if f.throttle > 0 {
		f.throttle--
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
		return
	}
	_, _ = w.Write([]byte(`{"Identifier":"db-A","MetricList":[]}`))
}

func getResourceMetrics(t *testing.T, c *Clients) error {
	t.Helper()
	_, err := c.PI.GetResourceMetrics(context.Background(), &pi.GetResourceMetricsInput{
		ServiceType: types.ServiceTypeRds, Identifier: aws.String("db-A"),
		StartTime: aws.Time(time.Unix(0, 0)), EndTime: aws.Time(time.Unix(60, 0)),
		MetricQueries: []types.MetricQuery{{Metric: aws.String("db.load.avg")}},
	})
	return err
}

// The Performance Insights client resolves its endpoint like the SDK's other clients:
// endpoints.pi, AWS_ENDPOINT_URL_PI, or `services` in the shared config; it signs for
// service pi and counts its calls and retries like the others.
func TestPIClientEndpointsSigningAndRetries(t *testing.T) {
	for _, how := range []string{"endpoints.pi", "AWS_ENDPOINT_URL_PI", "shared config services"} {
		t.Run(how, func(t *testing.T) {
			isolate(t)
			t.Setenv("AWS_ENDPOINT_URL_PI", "")
			fake := &fakePI{throttle: 2}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			s := Settings{Region: "eu-west-1", MaxAttempts: 5, MaxBackoff: 1}
			switch how {
			case "endpoints.pi":
				s.Endpoints.PI = srv.URL
			case "AWS_ENDPOINT_URL_PI":
				t.Setenv("AWS_ENDPOINT_URL_PI", srv.URL)
			default:
				cfgFile := filepath.Join(t.TempDir(), "config")
				require.NoError(t, os.WriteFile(cfgFile, []byte("[profile sim]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = s\nservices = sim\n\n[services sim]\npi =\n  endpoint_url = "+srv.URL+"\n"), 0o600))
				t.Setenv("AWS_CONFIG_FILE", cfgFile)
				s.Profile = "sim"
			}
			var mu sync.Mutex
			retries, calls := map[string]int{}, map[string]int{}
			s.OnRetry = func(op, reason string) { mu.Lock(); retries[op+"/"+reason]++; mu.Unlock() }
			s.OnCall = func(op string, err error) { mu.Lock(); calls[op+"/"+outcomeOf(err)]++; mu.Unlock() }
			c, err := New(context.Background(), s)
			require.NoError(t, err)
			require.NoError(t, getResourceMetrics(t, c), "throttling is retried")
			assert.Equal(t, []string{"PerformanceInsightsv20180227.GetResourceMetrics", "PerformanceInsightsv20180227.GetResourceMetrics",
				"PerformanceInsightsv20180227.GetResourceMetrics"}, fake.targets)
			for _, sc := range fake.scopes {
				assert.True(t, strings.HasSuffix(sc, "/eu-west-1/pi/aws4_request"), sc)
			}
			assert.Equal(t, map[string]int{"GetResourceMetrics/throttling": 2}, retries)
			assert.Equal(t, map[string]int{"GetResourceMetrics/ok": 1}, calls)
		})
	}
}

func outcomeOf(err error) string {
	if err == nil {
		return "ok"
	}
	return "error"
}
