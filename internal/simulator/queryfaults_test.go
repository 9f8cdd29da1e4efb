package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// result is one MetricDataResult as the Go SDK parsed it, pages joined.
type result struct {
	Status   cwtypes.StatusCode
	Times    []time.Time
	Values   []float64
	Messages []simulator.Message
}

type answer struct {
	results  map[string]*result
	messages []simulator.Message // top-level, all pages
	pages    int
	statuses [][]cwtypes.StatusCode // per page, in result order
}

func messagesOf(ms []cwtypes.MessageData) []simulator.Message {
	var out []simulator.Message
	for _, m := range ms {
		out = append(out, simulator.Message{Code: aws.ToString(m.Code), Value: aws.ToString(m.Value)})
	}
	return out
}

// readAll pages through one GetMetricData request.
func readAll(t *testing.T, client *cloudwatch.Client, in *cloudwatch.GetMetricDataInput) answer {
	t.Helper()
	a := answer{results: map[string]*result{}}
	pages := cloudwatch.NewGetMetricDataPaginator(client, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(context.Background())
		require.NoError(t, err)
		a.pages++
		require.Less(t, a.pages, 50)
		a.messages = append(a.messages, messagesOf(out.Messages)...)
		var sts []cwtypes.StatusCode
		for _, r := range out.MetricDataResults {
			id := aws.ToString(r.Id)
			x := a.results[id]
			if x == nil {
				x = &result{}
				a.results[id] = x
			}
			x.Status = r.StatusCode
			sts = append(sts, r.StatusCode)
			for _, ts := range r.Timestamps {
				x.Times = append(x.Times, ts.UTC())
			}
			x.Values = append(x.Values, r.Values...)
			x.Messages = append(x.Messages, messagesOf(r.Messages)...)
		}
		a.statuses = append(a.statuses, sts)
	}
	return a
}

var faultQueries = []q{
	{"cpu", inst, "pg-a", "CPUUtilization", "Average", 60},
	{"mem", inst, "pg-a", "FreeableMemory", "Minimum", 60},
	{"mysql", inst, "mysql-a", "CPUUtilization", "Maximum", 60},
	{"vol", clus, "aurora-a", "VolumeBytesUsed", "Average", 300},
}

func faultInput() *cloudwatch.GetMetricDataInput {
	return &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries(faultQueries...),
		StartTime:         aws.Time(t0.Add(-20 * time.Minute)),
		EndTime:           aws.Time(t0),
		ScanBy:            cwtypes.ScanByTimestampAscending,
	}
}

func TestQueryFaults(t *testing.T) {
	forbidden := []simulator.Message{{Code: "Forbidden", Value: "You are not authorized to retrieve data for this metric."}}
	internal := []simulator.Message{{Code: "InternalError", Value: "An internal error occurred while retrieving data for this metric. Retry the request."}}
	note := []simulator.Message{{Code: "Notice", Value: "data is being backfilled"}}
	tests := []struct {
		name       string
		fault      simulator.QueryFault
		wantStatus map[string]cwtypes.StatusCode // final status per query id; others Complete
		wantEmpty  []string                      // query ids without points
		wantMsgs   map[string][]simulator.Message
		minPages   int
	}{
		{"forbidden metric", simulator.QueryFault{Identifier: "pg-a", Metric: "CPUUtilization", Status: "Forbidden"},
			map[string]cwtypes.StatusCode{"cpu": cwtypes.StatusCodeForbidden}, []string{"cpu"},
			map[string][]simulator.Message{"cpu": forbidden}, 1},
		{"internal error for every metric of an instance", simulator.QueryFault{Identifier: "pg-a", Status: "InternalError"},
			map[string]cwtypes.StatusCode{"cpu": cwtypes.StatusCodeInternalError, "mem": cwtypes.StatusCodeInternalError}, []string{"cpu", "mem"},
			map[string][]simulator.Message{"cpu": internal, "mem": internal}, 1},
		{"forbidden with its own message", simulator.QueryFault{Identifier: "aurora-a", Status: "Forbidden",
			Messages: []simulator.Message{{Code: "Forbidden", Value: "Authentication too complex to retrieve cross region data"}}},
			map[string]cwtypes.StatusCode{"vol": cwtypes.StatusCodeForbidden}, []string{"vol"},
			map[string][]simulator.Message{"vol": {{Code: "Forbidden", Value: "Authentication too complex to retrieve cross region data"}}}, 1},
		{"partial data pages through", simulator.QueryFault{Identifier: "mysql-a", Status: "PartialData", Points: 4},
			nil, nil, nil, 5}, // 19 points of mysql-a, 4 a page, then the rest
		{"complete with a message", simulator.QueryFault{Identifier: "pg-a", Metric: "FreeableMemory", Status: "Complete", Messages: note},
			nil, nil, map[string][]simulator.Message{"mem": note}, 1},
	}
	for _, proto := range cwProtocols {
		for _, tt := range tests {
			t.Run(proto+"/"+tt.name, func(t *testing.T) {
				s := newSim(t, smallFleet(t))
				clean := readAll(t, cwClient(s.URL, proto, 1), faultInput())
				require.NoError(t, s.FailQuery(tt.fault))
				got := readAll(t, cwClient(s.URL, proto, 1), faultInput())
				assert.GreaterOrEqual(t, got.pages, tt.minPages)
				for _, x := range faultQueries {
					r := got.results[x.id]
					require.NotNil(t, r, x.id)
					want := cwtypes.StatusCodeComplete
					if st, ok := tt.wantStatus[x.id]; ok {
						want = st
					}
					assert.Equal(t, want, r.Status, x.id)
					assert.Equal(t, tt.wantMsgs[x.id], r.Messages, x.id)
					if slices.Contains(tt.wantEmpty, x.id) {
						assert.Empty(t, r.Times, x.id)
						continue
					}
					// Everything else arrives whole, whatever the paging.
					assert.Equal(t, clean.results[x.id].Times, r.Times, x.id)
					assert.Equal(t, clean.results[x.id].Values, r.Values, x.id)
				}
				if tt.fault.Status == "PartialData" {
					for i, sts := range got.statuses[:len(got.statuses)-1] {
						assert.Contains(t, sts, cwtypes.StatusCodePartialData, "page %d ends in PartialData", i)
					}
				}
				c := s.Counters()
				for st, n := range map[string]int{"Forbidden": 0, "InternalError": 0} {
					for _, w := range tt.wantStatus {
						if string(w) == st {
							n++
						}
					}
					assert.Equal(t, int64(n), c.ResultsByStatus[st], st)
				}
			})
		}
	}
}

func TestQueryFaultCalls(t *testing.T) {
	s := newSim(t, smallFleet(t))
	require.NoError(t, s.FailQuery(simulator.QueryFault{Identifier: "pg-a", Status: "Forbidden", Calls: 2}))
	client := cwClient(s.URL, "cbor", 1)
	var statuses []cwtypes.StatusCode
	for range 4 {
		got := readAll(t, client, faultInput())
		statuses = append(statuses, got.results["cpu"].Status)
		assert.Equal(t, got.results["cpu"].Status, got.results["mem"].Status, "both metrics of pg-a, one call consumed")
	}
	assert.Equal(t, []cwtypes.StatusCode{"Forbidden", "Forbidden", "Complete", "Complete"}, statuses)

	require.NoError(t, s.FailQuery(simulator.QueryFault{Identifier: "pg-a", Status: "InternalError"}))
	for range 3 {
		assert.Equal(t, cwtypes.StatusCodeInternalError, readAll(t, client, faultInput()).results["cpu"].Status, "until cleared")
	}
	s.ClearFaults()
	assert.Equal(t, cwtypes.StatusCodeComplete, readAll(t, client, faultInput()).results["cpu"].Status)

	for _, bad := range []simulator.QueryFault{
		{Status: "Forbidden"},
		{Identifier: "pg-a", Status: "Denied"},
		{Identifier: "pg-a", Status: "Complete"},
		{Identifier: "pg-a", Status: "PartialData", Points: -1},
	} {
		assert.Error(t, s.FailQuery(bad), "%+v", bad)
	}
}

func TestCallMessagesAndPageLimit(t *testing.T) {
	s := newSim(t, smallFleet(t))
	msg := simulator.Message{Code: "MaxMetricsExceeded", Value: "Maximum number of allowed metrics exceeded"}
	s.AddCallMessage(msg, 2)
	s.SetPageLimit(10)
	for _, proto := range cwProtocols {
		t.Run(proto, func(t *testing.T) {
			got := readAll(t, cwClient(s.URL, proto, 1), faultInput())
			total := 0
			for _, r := range got.results {
				total += len(r.Values)
				assert.Equal(t, cwtypes.StatusCodeComplete, r.Status, "complete once every page is read")
			}
			assert.Equal(t, 3*19+3, total, "19 one-minute points each, 11:40 11:45 11:50 of the volume")
			assert.Equal(t, (total+9)/10, got.pages, "10 points a page")
			if proto == "cbor" {
				assert.Equal(t, []simulator.Message{msg, msg}, got.messages, "the first two answers carry the message")
			} else {
				assert.Empty(t, got.messages, "consumed by the first protocol's calls")
			}
		})
	}
	s.SetPageLimit(0)
	assert.Equal(t, 1, readAll(t, cwClient(s.URL, "cbor", 1), faultInput()).pages)
}

func TestPartialPeriods(t *testing.T) {
	cpu := func(stat string, period int32) q { return q{"x", inst, "pg-a", "CPUUtilization", stat, period} }
	base := t0.Truncate(time.Minute) // 12:00; at t0 minutes up to 11:58 are published (lag 60 s)
	tests := []struct {
		name    string
		partial bool
		x       q
		advance time.Duration
		newest  time.Time
		count   float64 // SampleCount of the newest point
	}{
		{"off: 300 s whole only", false, cpu("SampleCount", 300), 0, base.Add(-10 * time.Minute), 20},
		{"on: 300 s with 4 of its minutes", true, cpu("SampleCount", 300), 0, base.Add(-5 * time.Minute), 16},
		{"on: 300 s complete a minute later", true, cpu("SampleCount", 300), time.Minute, base.Add(-5 * time.Minute), 20},
		{"on: next 300 s appears with its first minute", true, cpu("SampleCount", 300), 2 * time.Minute, base, 4},
		{"on: 3600 s grows", true, cpu("SampleCount", 3600), 0, base.Add(-time.Hour), 59 * 4},
		{"on: 60 s unchanged", true, cpu("SampleCount", 60), 0, base.Add(-2 * time.Minute), 4},
		{"off: 60 s", false, cpu("SampleCount", 60), 0, base.Add(-2 * time.Minute), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, smallFleet(t), func(c *simulator.Config) { c.PartialPeriods = tt.partial })
			s.clock.Advance(tt.advance)
			now := s.clock.Now()
			got := getAscending(t, s, "cbor", tt.x, now.Add(-2*time.Hour), now)
			require.NotEmpty(t, got.Times)
			last := len(got.Times) - 1
			assert.Equal(t, tt.newest, got.Times[last])
			assert.Equal(t, tt.count, got.Values[last])
			period := time.Duration(tt.x.period) * time.Second
			for i, ts := range got.Times {
				v, ok := s.ValueAt(inst, "pg-a", "CPUUtilization", tt.x.stat, ts, period, now)
				require.True(t, ok, ts)
				assert.Equal(t, v, got.Values[i], "ValueAt is what GetMetricData shows")
			}
			pts := s.Points(inst, "pg-a", "CPUUtilization", tt.x.stat, period, now.Add(-2*time.Hour), now, now)
			require.Len(t, pts, len(got.Times))
			assert.Equal(t, simulator.Point{Timestamp: got.Times[last], Value: got.Values[last]}, pts[len(pts)-1])
			_, ok := s.ValueAt(inst, "pg-a", "CPUUtilization", tt.x.stat, tt.newest.Add(period), period, now)
			assert.False(t, ok, "the next period is not visible yet")
			final, ok := s.Value(inst, "pg-a", "CPUUtilization", tt.x.stat, tt.newest, period)
			require.True(t, ok)
			assert.Equal(t, float64(period/time.Minute*4), final, "Value is the final aggregate")
		})
	}

	t.Run("average of a growing point", func(t *testing.T) {
		s := newSim(t, smallFleet(t), func(c *simulator.Config) { c.PartialPeriods = true })
		ts := base.Add(-5 * time.Minute)
		partial := getAscending(t, s, "cbor", cpu("Average", 300), ts, base).Values
		s.clock.Advance(time.Minute)
		whole := getAscending(t, s, "cbor", cpu("Average", 300), ts, base).Values
		require.Len(t, partial, 1)
		require.Len(t, whole, 1)
		final, _ := s.Value(inst, "pg-a", "CPUUtilization", "Average", ts, 5*time.Minute)
		assert.Equal(t, final, whole[0])
		assert.NotEqual(t, final, partial[0], "four minutes' average differs from five")
	})
}

func TestAdminStatusAndQueryFaults(t *testing.T) {
	s := newSim(t, smallFleet(t))
	post := func(path string, body any) (*http.Response, []byte) {
		t.Helper()
		b, err := json.Marshal(body)
		require.NoError(t, err)
		resp, err := http.Post(s.URL+path, "application/json", bytes.NewReader(b))
		require.NoError(t, err)
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		return resp, buf.Bytes()
	}
	tests := []struct {
		name string
		path string
		body any
		want int
	}{
		{"stop", "/_sim/status", map[string]string{"identifier": "pg-a", "status": "stopped"}, http.StatusOK},
		{"unknown status", "/_sim/status", map[string]string{"identifier": "pg-a", "status": "napping"}, http.StatusBadRequest},
		{"unknown instance", "/_sim/status", map[string]string{"identifier": "nope", "status": "stopped"}, http.StatusBadRequest},
		{"unknown field", "/_sim/status", map[string]string{"id": "pg-a"}, http.StatusBadRequest},
		{"query fault", "/_sim/faults", map[string]any{
			"query_faults":  []map[string]any{{"identifier": "mysql-a", "metric": "CPUUtilization", "status": "Forbidden", "calls": 1}},
			"call_messages": []map[string]any{{"code": "Notice", "value": "hello", "calls": 1}},
			"page_limit":    1000,
		}, http.StatusNoContent},
		{"bad query fault", "/_sim/faults", map[string]any{"query_faults": []map[string]any{{"identifier": "mysql-a", "status": "Nope"}}}, http.StatusBadRequest},
		{"bad call message", "/_sim/faults", map[string]any{"call_messages": []map[string]any{{"value": "no code"}}}, http.StatusBadRequest},
		{"bad page limit", "/_sim/faults", map[string]any{"page_limit": -1}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(tt.path, tt.body)
			assert.Equal(t, tt.want, resp.StatusCode, string(body))
		})
	}

	var change simulator.StatusChange
	_, body := post("/_sim/status", map[string]string{"identifier": "mysql-a-replica", "status": "rebooting"})
	require.NoError(t, json.Unmarshal(body, &change))
	assert.Equal(t, simulator.StatusChange{Status: "rebooting", Since: t0}, change)

	resp, err := http.Get(s.URL + "/_sim/status")
	require.NoError(t, err)
	var hist map[string][]simulator.StatusChange
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&hist))
	resp.Body.Close()
	assert.Equal(t, []simulator.StatusChange{{Status: "available"}, {Status: "stopped", Since: t0}}, hist["pg-a"])
	assert.Len(t, hist, 7)

	got := readAll(t, cwClient(s.URL, "cbor", 1), faultInput())
	assert.Equal(t, cwtypes.StatusCodeForbidden, got.results["mysql"].Status)
	assert.Equal(t, []simulator.Message{{Code: "Notice", Value: "hello"}}, got.messages)
	assert.Equal(t, int64(2), s.Counters().InactiveQueries, "pg-a's two queries")
}
