package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

const boto3MetricDataScript = "../../testdata/simulator/boto3_metricdata.py"

// mdPage is one GetMetricData page in the shape boto3_metricdata.py prints.
type mdPage struct {
	Results   []mdResult          `json:"results"`
	Messages  []simulator.Message `json:"messages"`
	NextToken bool                `json:"next_token"`
}

type mdResult struct {
	ID         string              `json:"id"`
	Label      string              `json:"label"`
	Status     string              `json:"status"`
	Timestamps []int64             `json:"timestamps"`
	Values     []float64           `json:"values"`
	Messages   []simulator.Message `json:"messages"`
}

type mdRequest struct {
	Queries []struct {
		ID     string `json:"id"`
		Dim    string `json:"dim"`
		Ident  string `json:"ident"`
		Metric string `json:"metric"`
		Stat   string `json:"stat"`
		Period int32  `json:"period"`
	} `json:"queries"`
	Start         int64  `json:"start"`
	End           int64  `json:"end"`
	MaxDatapoints int32  `json:"max_datapoints"`
	ScanBy        string `json:"scan_by"`
}

func newMDRequest(qs []q, start, end time.Time, maxDatapoints int32) mdRequest {
	r := mdRequest{Start: start.Unix(), End: end.Unix(), MaxDatapoints: maxDatapoints, ScanBy: "TimestampAscending"}
	for _, x := range qs {
		r.Queries = append(r.Queries, struct {
			ID     string `json:"id"`
			Dim    string `json:"dim"`
			Ident  string `json:"ident"`
			Metric string `json:"metric"`
			Stat   string `json:"stat"`
			Period int32  `json:"period"`
		}{x.id, x.dim, x.ident, x.metric, x.stat, x.period})
	}
	return r
}

// goPages runs the request with the Go SDK page by page.
func goPages(t *testing.T, s *sim, qs []q, r mdRequest) []mdPage {
	t.Helper()
	in := &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries(qs...),
		StartTime:         aws.Time(time.Unix(r.Start, 0)),
		EndTime:           aws.Time(time.Unix(r.End, 0)),
		ScanBy:            cwtypes.ScanBy(r.ScanBy),
		MaxDatapoints:     aws.Int32(r.MaxDatapoints),
	}
	var pages []mdPage
	client := cwClient(s.URL, "cbor", 1)
	for len(pages) < 100 {
		out, err := client.GetMetricData(context.Background(), in)
		require.NoError(t, err)
		p := mdPage{Messages: orNoMessages(messagesOf(out.Messages)), NextToken: aws.ToString(out.NextToken) != ""}
		for _, res := range out.MetricDataResults {
			x := mdResult{ID: aws.ToString(res.Id), Label: aws.ToString(res.Label), Status: string(res.StatusCode),
				Timestamps: []int64{}, Values: res.Values, Messages: orNoMessages(messagesOf(res.Messages))}
			for _, ts := range res.Timestamps {
				x.Timestamps = append(x.Timestamps, ts.Unix())
			}
			if x.Values == nil {
				x.Values = []float64{}
			}
			p.Results = append(p.Results, x)
		}
		pages = append(pages, p)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	return pages
}

func orNoMessages(m []simulator.Message) []simulator.Message {
	if m == nil {
		return []simulator.Message{}
	}
	return m
}

func runBoto3MetricData(t *testing.T, python, url string, r mdRequest) (protocol string, pages []mdPage) {
	t.Helper()
	script, err := filepath.Abs(boto3MetricDataScript)
	require.NoError(t, err)
	body, err := json.Marshal(r)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, url)
	cmd.Env = append(os.Environ(),
		"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(body), &stdout, &stderr
	require.NoError(t, cmd.Run(), "boto3_metricdata.py failed:\n%s", stderr.String())
	var rep struct {
		Botocore string   `json:"botocore"`
		Protocol string   `json:"cloudwatch_protocol"`
		Pages    []mdPage `json:"pages"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep), "output: %s", stdout.String())
	t.Logf("botocore %s speaks %s to CloudWatch", rep.Botocore, rep.Protocol)
	return rep.Protocol, rep.Pages
}

// TestBoto3QueryStatuses cross-checks with boto3 what issue 9 needs from the
// simulator: per-query Forbidden and InternalError, PartialData with NextToken,
// per-result and top-level Messages, and instances that publish nothing while stopped.
func TestBoto3QueryStatuses(t *testing.T) {
	usable := boto3Pythons(t)

	fleet := smallFleet(t)
	for i := range fleet.Instances {
		if fleet.Instances[i].Identifier == "maria-t3" {
			fleet.Instances[i].Status = "stopped" // since it exists: no data at all
		}
	}
	s := newSim(t, fleet)
	_, err := s.SetInstanceStatus("pg-a", "stopped") // at 12:00:30
	require.NoError(t, err)
	s.clock.Advance(10 * time.Minute)
	_, err = s.SetInstanceStatus("pg-a", "available") // 12:10:30
	require.NoError(t, err)
	s.clock.Advance(10 * time.Minute) // 12:20:30

	note := simulator.Message{Code: "Notice", Value: "metric is being backfilled"}
	callMsg := simulator.Message{Code: "MaxMetricsExceeded", Value: "Maximum number of allowed metrics exceeded"}
	for _, f := range []simulator.QueryFault{
		{Identifier: "mysql-a", Metric: "CPUUtilization", Status: "Forbidden"},
		{Identifier: "aurora-a-1", Status: "InternalError"},
		{Identifier: "mysql-a-replica", Status: "PartialData", Points: 7},
		{Identifier: "pg-a", Metric: "FreeableMemory", Status: "Complete", Messages: []simulator.Message{note}},
	} {
		require.NoError(t, s.FailQuery(f)) // Calls 0: both clients see the same answers
	}
	s.AddCallMessage(callMsg, 0)

	qs := []q{
		{"pg", inst, "pg-a", "CPUUtilization", "Average", 60},
		{"pgmem", inst, "pg-a", "FreeableMemory", "Minimum", 60},
		{"forbidden", inst, "mysql-a", "CPUUtilization", "Average", 60},
		{"mysqlmem", inst, "mysql-a", "FreeableMemory", "Average", 60},
		{"internal", inst, "aurora-a-1", "CPUUtilization", "Average", 60},
		{"partial", inst, "mysql-a-replica", "CPUUtilization", "Maximum", 60},
		{"stopped", inst, "maria-t3", "CPUUtilization", "Average", 60},
		{"vol", clus, "aurora-a", "VolumeBytesUsed", "Average", 300},
	}
	start, end := t0.Add(-30*time.Minute), s.clock.Now() // 11:30:30 .. 12:20:30
	req := newMDRequest(qs, start, end, 60)
	want := goPages(t, s, qs, req)

	// What the Go SDK saw, checked against the simulator's own rules.
	joined := map[string]*mdResult{}
	statuses := map[string][]string{}
	for i, p := range want {
		assert.Equal(t, []simulator.Message{callMsg}, p.Messages, "page %d", i)
		assert.Equal(t, i < len(want)-1, p.NextToken, "page %d", i)
		for _, r := range p.Results {
			statuses[r.ID] = append(statuses[r.ID], r.Status)
			j := joined[r.ID]
			if j == nil {
				j = &mdResult{ID: r.ID, Status: r.Status, Messages: r.Messages}
				joined[r.ID] = j
			}
			j.Status = r.Status
			j.Timestamps = append(j.Timestamps, r.Timestamps...)
			j.Values = append(j.Values, r.Values...)
		}
	}
	require.Len(t, joined, len(qs))
	assert.Equal(t, []string{"Forbidden"}, statuses["forbidden"])
	assert.Empty(t, joined["forbidden"].Timestamps)
	assert.Equal(t, "Forbidden", joined["forbidden"].Messages[0].Code)
	assert.Equal(t, []string{"InternalError"}, statuses["internal"])
	assert.Empty(t, joined["internal"].Timestamps)
	assert.Equal(t, []string{"PartialData", "PartialData", "PartialData", "PartialData", "PartialData", "PartialData", "Complete"},
		statuses["partial"], "49 points (11:30..12:18), 7 a page")
	assert.Equal(t, []simulator.Message{note}, joined["pgmem"].Messages)
	assert.Equal(t, "Complete", joined["stopped"].Status)
	assert.Empty(t, joined["stopped"].Timestamps, "a stopped instance has no points")
	assert.Greater(t, len(want), 3)
	for _, x := range qs {
		j := joined[x.id]
		for i, ts := range j.Timestamps {
			v, ok := s.Value(x.dim, x.ident, x.metric, x.stat, time.Unix(ts, 0), time.Duration(x.period)*time.Second)
			require.True(t, ok, "%s at %d", x.id, ts)
			assert.Equal(t, v, j.Values[i], x.id)
		}
	}
	for _, ts := range joined["pg"].Timestamps {
		tm := time.Unix(ts, 0)
		assert.False(t, tm.After(t0) && tm.Before(t0.Add(9*time.Minute+30*time.Second)), "pg-a has no point while stopped: %s", tm.UTC())
	}
	assert.Len(t, joined["pg"].Timestamps, 31+9, "11:30..12:00 and 12:10..12:18")

	for _, python := range usable {
		t.Run(strings.ReplaceAll(python, "/", "_"), func(t *testing.T) {
			_, got := runBoto3MetricData(t, python, s.URL, req)
			require.Len(t, got, len(want))
			for i := range want {
				assert.Equal(t, want[i], got[i], "page %d", i)
			}
		})
	}
	c := s.Counters()
	assert.Equal(t, int64(len(want)*(1+len(usable))), c.InactiveQueriesByIdentifier["maria-t3"], "one billed query a page")
	assert.Zero(t, c.InactiveQueriesByIdentifier["pg-a"])
}
