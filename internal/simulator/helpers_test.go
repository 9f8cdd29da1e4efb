package simulator_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

const smallFleetPath = "../../testdata/simulator/fleet-small.yaml"

// t0 is deliberately not aligned to a minute.
var t0 = time.Date(2025, 6, 2, 12, 0, 30, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type sim struct {
	*simulator.Server
	URL   string
	clock *fakeClock
}

// newSim serves fleet on 127.0.0.1 with a fake clock at t0; cfg tweaks the Config.
func newSim(t testing.TB, fleet simulator.Fleet, cfg ...func(*simulator.Config)) *sim {
	t.Helper()
	clock := &fakeClock{now: t0}
	c := simulator.Config{Fleet: fleet, Now: clock.Now}
	for _, fn := range cfg {
		fn(&c)
	}
	s := simulator.New(c)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &sim{Server: s, URL: hs.URL, clock: clock}
}

func smallFleet(t testing.TB) simulator.Fleet {
	t.Helper()
	f, err := simulator.LoadFleet(smallFleetPath)
	require.NoError(t, err)
	return f
}

// fastRetryer is the SDK's standard retryer with short backoffs.
func fastRetryer(attempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.Backoff = retry.NewExponentialJitterBackoff(5 * time.Millisecond)
		o.MaxBackoff = 5 * time.Millisecond
	})
}

func rdsClient(url string) *rds.Client {
	return rds.New(rds.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSIM", "secret", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      fastRetryer(3),
		HTTPClient:   simulator.HTTPClient(),
	})
}

// The CloudWatch protocols a Go client can speak; "cbor" is the SDK default.
var cwProtocols = []string{"cbor", "json", "query"}

func cwClient(url, protocol string, attempts int) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSIM", "secret", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      fastRetryer(attempts),
		HTTPClient:   simulator.HTTPClient(),
	}, func(o *cloudwatch.Options) {
		switch protocol {
		case "json":
			o.Protocol = awsjson.New10(cwschemas.GraniteServiceVersion20100801)
		case "query":
			o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		}
	})
}

// wireName is the protocol name the simulator reports for a client protocol.
func wireName(protocol string) string {
	return map[string]string{"cbor": simulator.ProtoCBOR, "json": simulator.ProtoJSON, "query": simulator.ProtoQuery}[protocol]
}
