package rdsevents

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 30, 0, time.UTC)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// history has 250 events from t0-1h to t0+2h, three at each time, so that reads need
// pages and a read's end falls between events of one time.
func history() []simulator.Event {
	var es []simulator.Event
	for i := range 84 {
		at := t0.Add(-time.Hour + time.Duration(i)*130*time.Second)
		for j, id := range []string{"mysql-a", "pg-a", "maria-t3"} {
			if i*3+j >= 250 {
				break
			}
			es = append(es, simulator.Event{Time: at, SourceType: "db-instance", SourceIdentifier: id,
				Categories: []string{"availability"}, Message: fmt.Sprintf("DB instance restarted. (%d)", i)})
		}
	}
	return es
}

func newSim(t *testing.T) (*simulator.Server, *rds.Client, *clock) {
	t.Helper()
	fleet, err := simulator.LoadFleet("../../testdata/simulator/fleet-small.yaml")
	require.NoError(t, err)
	fleet.Events = history()
	require.NoError(t, fleet.Validate())
	c := &clock{now: t0}
	sim := simulator.New(simulator.Config{Fleet: fleet, Now: c.Now})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client := rds.New(rds.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: simulator.HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	return sim, client, c
}

type seen map[string]int

func (s seen) add(es []Event) {
	for _, e := range es {
		s[e.SourceID+"|"+e.Message+"|"+e.Time.Format(time.RFC3339Nano)]++
	}
}

// TestEveryEventOnce polls every 47 s for three hours, restarting from the encoded cursor
// every seventh poll and failing to deliver every fifth: each event of the history from
// the initial lookback on arrives exactly once.
func TestEveryEventOnce(t *testing.T) {
	sim, client, c := newSim(t)
	opts := Options{InitialLookback: 10 * time.Minute, Overlap: 2 * time.Minute}
	r := NewReader(client, opts, Cursor{})
	got := seen{}
	for poll := 1; c.now.Before(t0.Add(3 * time.Hour)); poll++ {
		es, next, err := r.Read(context.Background(), c.now)
		require.NoError(t, err)
		if poll%5 != 0 { // the pipeline refused every fifth: nothing committed, read again
			got.add(es)
			r.Commit(next)
		}
		if poll%7 == 0 {
			cur, err := DecodeCursor(r.Cursor().Encode())
			require.NoError(t, err)
			r = NewReader(client, opts, cur)
		}
		c.now = c.now.Add(47 * time.Second)
	}
	want := 0
	for _, e := range history() {
		if !e.Time.Before(t0.Add(-10 * time.Minute)) {
			want++
			key := e.SourceIdentifier + "|" + e.Message + "|" + e.Time.Format(time.RFC3339Nano)
			assert.Equal(t, 1, got[key], key)
		}
	}
	assert.Len(t, got, want)
	assert.Less(t, len(r.Cursor().Seen), 20, "the cursor keeps only the overlap's keys")
	assert.Positive(t, sim.Counters().Calls["DescribeEvents"])
}

func TestReadWithoutCommitRepeats(t *testing.T) {
	_, client, _ := newSim(t)
	r := NewReader(client, Options{InitialLookback: time.Hour}, Cursor{})
	a, _, err := r.Read(context.Background(), t0)
	require.NoError(t, err)
	b, next, err := r.Read(context.Background(), t0)
	require.NoError(t, err)
	require.Len(t, a, 84) // 28 times from t0-1h to t0, three events each
	assert.Equal(t, a, b)
	r.Commit(next)
	c, _, err := r.Read(context.Background(), t0)
	require.NoError(t, err)
	assert.Empty(t, c)
}

func TestCursorEncoding(t *testing.T) {
	c := Cursor{Since: t0, Seen: map[uint64]time.Time{1: t0, 1 << 63: t0.Add(-time.Second)}}
	got, err := DecodeCursor(c.Encode())
	require.NoError(t, err)
	assert.True(t, got.Since.Equal(c.Since))
	assert.Len(t, got.Seen, 2)
	zero, err := DecodeCursor(Cursor{}.Encode())
	require.NoError(t, err)
	assert.True(t, zero.Since.IsZero())
	for _, bad := range [][]byte{nil, {9}, c.Encode()[:5], append(c.Encode(), 0)} {
		_, err := DecodeCursor(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestSeverity(t *testing.T) {
	for _, tt := range []struct {
		categories []string
		want       plog.SeverityNumber
		text       string
	}{
		{[]string{"failover"}, plog.SeverityNumberWarn, "WARN"},
		{[]string{"availability"}, plog.SeverityNumberWarn, "WARN"},
		{[]string{"maintenance", "failure"}, plog.SeverityNumberError, "ERROR"},
		{[]string{"low storage"}, plog.SeverityNumberError, "ERROR"},
		{[]string{"backup"}, plog.SeverityNumberInfo, "INFO"},
		{nil, plog.SeverityNumberInfo, "INFO"},
	} {
		sev, text := Severity(tt.categories)
		assert.Equal(t, tt.want, sev, "%v", tt.categories)
		assert.Equal(t, tt.text, text)
	}
}
