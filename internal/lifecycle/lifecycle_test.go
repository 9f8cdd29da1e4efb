package lifecycle

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// TestOneFailingCallLosesNothingElse: DescribePendingMaintenanceActions fails for good; the
// engine support dates and quotas still arrive, and the error names the call.
func TestOneFailingCallLosesNothingElse(t *testing.T) {
	fleet, err := simulator.LoadFleet("../../testdata/simulator/fleet-small.yaml")
	require.NoError(t, err)
	fleet.PendingMaintenance = []simulator.PendingMaintenance{{Resource: "pg-a", Action: "system-update", ForcedApply: time.Now().Add(time.Hour)}}
	sim := simulator.New(simulator.Config{Fleet: fleet})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client := rds.New(rds.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: simulator.HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), Retryer: retry.AddWithMaxAttempts(retry.NewStandard(), 1)})

	info, err := Fetch(context.Background(), client)
	require.NoError(t, err)
	require.Len(t, info.Maintenance["arn:aws:rds:us-east-1:123456789012:db:pg-a"], 1)
	assert.True(t, info.Maintenance["arn:aws:rds:us-east-1:123456789012:db:pg-a"][0].Forced)

	sim.FailNext("DescribePendingMaintenanceActions", 5)
	info, err = Fetch(context.Background(), client)
	assert.ErrorContains(t, err, "DescribePendingMaintenanceActions")
	assert.Empty(t, info.Maintenance)
	assert.Len(t, info.Support, len(simulator.EngineLifecycles))
	assert.Len(t, info.Quotas, len(simulator.AccountQuotaDefaults))
}
