package simulator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

const boto3EventsScript = "../../testdata/simulator/boto3_events.py"

type wireEvent struct {
	Source     string   `json:"source"`
	Type       string   `json:"type"`
	Message    string   `json:"message"`
	Categories []string `json:"categories"`
	DateMS     int64    `json:"date_ms"`
	ARN        string   `json:"arn"`
}

// eventFleet is the small fleet with 130 events, one every two minutes from t0-3h on (the
// last ones in the future), so that a 3-hour window needs pages of 100.
func eventFleet(t *testing.T) simulator.Fleet {
	f := smallFleet(t)
	kinds := []struct{ typ, src, cat, msg string }{
		{"db-instance", "mysql-a", "failover", "A Multi-AZ failover that resulted in the promotion of a standby instance has started."},
		{"db-instance", "pg-a", "availability", "DB instance restarted."},
		{"db-cluster", "aurora-a", "failover", "Completed failover to DB instance: aurora-a-2"},
		{"db-instance", "maria-t3", "maintenance", "Offline maintenance of the DB instance is complete."},
		{"blue-green-deployment", "bgd-1", "notification", "Switchover completed on blue/green deployment."},
	}
	for i := range 130 {
		k := kinds[i%len(kinds)]
		f.Events = append(f.Events, simulator.Event{Time: t0.Add(-3*time.Hour + time.Duration(i)*2*time.Minute), SourceType: k.typ,
			SourceIdentifier: k.src, Categories: []string{k.cat}, Message: fmt.Sprintf("%s (%d)", k.msg, i)})
	}
	require.NoError(t, f.Validate())
	return f
}

func toWire(es []rdstypes.Event) []wireEvent {
	out := []wireEvent{}
	for _, e := range es {
		out = append(out, wireEvent{aws.ToString(e.SourceIdentifier), string(e.SourceType), aws.ToString(e.Message),
			e.EventCategories, aws.ToTime(e.Date).UnixMilli(), aws.ToString(e.SourceArn)})
	}
	return out
}

func goEvents(t *testing.T, c *rds.Client, in *rds.DescribeEventsInput) (events []wireEvent, pages int) {
	t.Helper()
	p := rds.NewDescribeEventsPaginator(c, in)
	var all []rdstypes.Event
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		require.NoError(t, err)
		all = append(all, out.Events...)
		pages++
	}
	return toWire(all), pages
}

// TestDescribeEvents: the window, paging, filters and the future, through the Go SDK.
func TestDescribeEvents(t *testing.T) {
	s := newSim(t, eventFleet(t))
	c := rdsClient(s.URL)
	all, pages := goEvents(t, c, &rds.DescribeEventsInput{StartTime: aws.Time(t0.Add(-4 * time.Hour)), EndTime: aws.Time(t0.Add(time.Hour)), MaxRecords: aws.Int32(20)})
	assert.Equal(t, 5, pages)
	require.Len(t, all, 91, "events up to now (t0), none from the future") // i*2min <= 3h: i = 0..90
	for i := 1; i < len(all); i++ {
		assert.LessOrEqual(t, all[i-1].DateMS, all[i].DateMS, "oldest first")
	}
	assert.Equal(t, "arn:aws:rds:us-east-1:123456789012:db:mysql-a", all[0].ARN)
	assert.Equal(t, "arn:aws:rds:us-east-1:123456789012:deployment:bgd-1", all[4].ARN)

	def, _ := goEvents(t, c, &rds.DescribeEventsInput{})
	assert.Len(t, def, 31, "default: the last 60 minutes, both ends included")
	d30, _ := goEvents(t, c, &rds.DescribeEventsInput{Duration: aws.Int32(30)})
	assert.Len(t, d30, 16)
	fo, _ := goEvents(t, c, &rds.DescribeEventsInput{SourceType: rdstypes.SourceTypeDbInstance, EventCategories: []string{"failover"}, Duration: aws.Int32(600)})
	assert.Len(t, fo, 19) // i%5 == 0, i <= 90
	for _, e := range fo {
		assert.Equal(t, "mysql-a", e.Source)
	}
	one, _ := goEvents(t, c, &rds.DescribeEventsInput{SourceType: rdstypes.SourceTypeDbCluster, SourceIdentifier: aws.String("aurora-a"), Duration: aws.Int32(600)})
	assert.Len(t, one, 18)

	_, err := c.DescribeEvents(context.Background(), &rds.DescribeEventsInput{SourceIdentifier: aws.String("mysql-a")})
	assert.ErrorContains(t, err, "InvalidParameterCombination")
	_, err = c.DescribeEvents(context.Background(), &rds.DescribeEventsInput{MaxRecords: aws.Int32(10)})
	assert.ErrorContains(t, err, "MaxRecords")

	// 14 days later only what is younger than 14 days is left: nothing here.
	s.clock.Advance(15 * 24 * time.Hour)
	old, _ := goEvents(t, c, &rds.DescribeEventsInput{StartTime: aws.Time(t0.Add(-4 * time.Hour))})
	assert.Empty(t, old)
	assert.Equal(t, int64(91+31+16+19+18), s.Counters().RDSEvents)
}

// TestBoto3CrossCheckEvents: boto3 reads the same events as the Go SDK.
func TestBoto3CrossCheckEvents(t *testing.T) {
	usable := boto3Pythons(t)
	s := newSim(t, eventFleet(t))
	c := rdsClient(s.URL)
	start, end := t0.Add(-4*time.Hour), t0
	all, _ := goEvents(t, c, &rds.DescribeEventsInput{StartTime: aws.Time(start), EndTime: aws.Time(end)})
	def, _ := goEvents(t, c, &rds.DescribeEventsInput{})
	fo, _ := goEvents(t, c, &rds.DescribeEventsInput{StartTime: aws.Time(start), EndTime: aws.Time(end),
		SourceType: rdstypes.SourceTypeDbInstance, EventCategories: []string{"failover"}})
	for _, python := range usable {
		t.Run(strings.ReplaceAll(python, "/", "_"), func(t *testing.T) {
			var rep struct {
				Botocore          string      `json:"botocore"`
				Pages             int         `json:"pages"`
				All               []wireEvent `json:"all"`
				DefaultWindow     []wireEvent `json:"default_window"`
				InstanceFailovers []wireEvent `json:"instance_failovers"`
				NoTypeError       string      `json:"no_type_error"`
			}
			runPythonScript(t, python, boto3EventsScript, s.URL, start, end, &rep)
			t.Logf("botocore %s", rep.Botocore)
			assert.Equal(t, 5, rep.Pages, "MaxRecords 20 over 91 events")
			assert.Equal(t, all, rep.All)
			assert.Equal(t, def, rep.DefaultWindow)
			assert.Equal(t, fo, rep.InstanceFailovers)
			assert.Equal(t, "InvalidParameterCombination", rep.NoTypeError)
		})
	}
}
