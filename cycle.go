package awsrdsreceiver

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metricdata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

// reads is one region's GetMetricData calls in one cycle.
type reads struct {
	spans  []metricdata.Span
	inStep int // spans[:inStep] read series in step with the region, in plan order
	held   int // series that lag the region (read behind it, or backing off)
}

// layout decides the cycle's calls. Series in step with the region are packed in plan
// order, so that a resource's series stay together and resources can be emitted as the
// calls come back; a call's range starts at the oldest start of its series (the others'
// points before their own start are dropped by their marks). Series behind the region are
// sorted by start and packed into calls of their own, each reading at most one step.
func (r *region) layout(c window.Cycle) reads {
	p, rules := r.plan, r.rules
	queries := r.scratch.queries[:0]
	behind := r.scratch.behind[:0]
	var out reads
	spans := r.scratch.spans[:0]
	var cur *metricdata.Span
	// open starts a call; push adds query i to the current one. Spans share one backing
	// array of query indexes, reused across cycles.
	open := func(start, end time.Time) {
		spans = append(spans, metricdata.Span{Start: start, End: end, Queries: queries[len(queries):len(queries)]})
		cur = &spans[len(spans)-1]
	}
	push := func(i int32) {
		queries = append(queries, i)
		cur.Queries = queries[len(queries)-len(cur.Queries)-1:]
	}
	for i := range p.marks {
		start, class := rules.Window(&p.marks[i], c)
		switch class {
		case window.Skip:
			if p.marks[i].Failing() {
				out.held++
			}
			continue
		case window.Behind:
			behind = append(behind, lagging{int32(i), start.Unix()})
			continue
		}
		if cur == nil || len(cur.Queries) == metricdata.MaxQueriesPerCall {
			open(start, c.End)
		}
		push(int32(i))
		if start.Before(cur.Start) {
			cur.Start = start
		}
	}
	out.inStep = len(spans)
	out.held += len(behind)
	slices.SortFunc(behind, func(a, b lagging) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.i, b.i)) })
	cur = nil
	size := 0 // of the current span: the smallest CallSize of its series
	for _, b := range behind {
		start := time.Unix(b.start, 0)
		limit := p.marks[b.i].CallSize(metricdata.MaxQueriesPerCall)
		if cur == nil || len(cur.Queries) >= min(size, limit) || !start.Before(cur.End) {
			size = limit
			end := start.Add(rules.Step)
			if end.After(c.End) {
				end = c.End
			}
			open(start, end)
		}
		size = min(size, limit)
		push(b.i)
	}
	r.scratch.queries, r.scratch.behind, r.scratch.spans = queries, behind, spans
	out.spans = spans
	return out
}

// lagging is a series read behind its region and where its read starts (Unix seconds).
type lagging struct {
	i     int32
	start int64
}

// layoutScratch keeps a region's layout buffers across cycles.
type layoutScratch struct {
	queries []int32
	behind  []lagging
	spans   []metricdata.Span
	silent  []silence
}

// recorder turns one region's cycle of CloudWatch calls into pdata and moves the series'
// marks. Calls come back in span order. The in-step spans list series in plan order,
// where a resource's series are contiguous, so resources are emitted one after the other
// as soon as the calls pass their last series (with their inventory metrics): decoded
// answers are dropped call by call. Series read behind the region come after; their
// points are emitted under their resource again (a second ResourceMetrics of the same
// resource), which happens only for series that lagged and have new points.
type recorder struct {
	s      *rdsScraper
	r      *region
	c      window.Cycle
	now    pcommon.Timestamp
	inStep int // spans of the cycle read in step (the rest are behind)
	spans  int // spans recorded so far
	next   int // the first resource not yet emitted
	points int // new CloudWatch points recorded

	callErrs      []error // of the calls that failed after retries
	failedQueries int     // their queries

	behindRes int32 // resource whose behind points are being recorded; -1 for none
	frontier  time.Time
	silent    []silence // series that returned no point, settled once the frontier is known
}

type silence struct {
	i   int32
	end time.Time
}

func (s *rdsScraper) newRecorder(r *region, c window.Cycle, inStep int, now pcommon.Timestamp) *recorder {
	return &recorder{s: s, r: r, c: c, inStep: inStep, now: now, behindRes: -1, silent: r.scratch.silent[:0]}
}

// batch records the new, final points of one call; its metricdata.Fetch callback.
func (rc *recorder) batch(b metricdata.Batch) {
	p, mb, rules := rc.r.plan, rc.s.mb, rc.r.rules
	behind := rc.spans >= rc.inStep
	rc.spans++
	if behind {
		rc.emitRemaining() // every resource's in-step points and inventory go first
	}
	failedCall := 0
	for k, qi := range b.Span.Queries {
		i := int(qi)
		res := p.series[i].resource
		if !behind {
			for rc.next < int(res) {
				rc.emit()
			}
		} else if res != rc.behindRes {
			rc.flushBehind()
			rc.behindRes = res
		}
		mark := &p.marks[i]
		var got *metricdata.Series
		if b.Err == nil {
			got = &b.Series[k]
		}
		switch {
		case got == nil:
			mark.FailCall()
			failedCall++
			continue
		case got.Err != nil:
			if mark.Fail() {
				rc.s.logger.Warn("CloudWatch rejects a query: it is retried with back-off and not logged again until it succeeds",
					zap.String("region", rc.r.name), zap.String("series", p.describe(i)), zap.Error(got.Err))
			}
			continue
		}
		if mark.Succeed() {
			rc.s.logger.Info("A CloudWatch query that failed succeeds again", zap.String("region", rc.r.name), zap.String("series", p.describe(i)))
		}
		n := len(got.Timestamps)
		if n == 0 {
			rc.silent = append(rc.silent, silence{qi, b.Span.End})
			continue
		}
		if last := got.Timestamps[n-1]; last.After(rc.frontier) {
			rc.frontier = last
		}
		e := p.selected(i).entry
		for j, ts := range got.Timestamps {
			if !rules.Final(ts, j < n-1, rc.c) {
				break // the newest period is still growing: read again next cycle
			}
			if mark.Admit(ts) {
				e.RecordCloudWatch(mb, pcommon.NewTimestampFromTime(ts), got.Values[j])
				rc.points++
			}
		}
	}
	if failedCall > 0 {
		rc.callErrs = append(rc.callErrs, b.Err)
		rc.failedQueries += failedCall
	}
}

// finish emits the resources that are left (all of them when CloudWatch was not read)
// and the last behind points, then settles the series that returned nothing against the
// region's frontier.
func (rc *recorder) finish() {
	rc.emitRemaining()
	rc.flushBehind()
	for _, sl := range rc.silent {
		rc.r.rules.Silent(&rc.r.plan.marks[sl.i], sl.end, rc.frontier)
	}
	rc.r.scratch.silent = rc.silent[:0]
	rc.silent = nil
}

func (rc *recorder) emitRemaining() {
	for rc.next < len(rc.r.plan.resources) {
		rc.emit()
	}
}

// emit adds the next resource's inventory metrics to its CloudWatch points and emits them.
func (rc *recorder) emit() {
	rp := &rc.r.plan.resources[rc.next]
	rc.next++
	switch {
	case rp.instance != nil:
		rc.s.recordInventory(rp.instance, rc.now)
	case rp.cluster != nil:
		rc.s.mb.RecordAwsRdsClusterMembersDataPoint(rc.now, int64(len(rp.cluster.Members)))
	case rp.target != nil:
		rc.s.mb.RecordAwsRdsProxyTargetAvailableDataPoint(rc.now, boolInt(rp.target.Health == "AVAILABLE"))
	}
	rc.s.recordLifecycle(rc.r, rp, rc.now)
	rc.s.mb.EmitForResource(metadata.WithResource(rp.resource))
}

// flushBehind emits the behind points recorded for the current resource, if any.
func (rc *recorder) flushBehind() {
	if rc.behindRes >= 0 {
		rc.s.mb.EmitForResource(metadata.WithResource(rc.r.plan.resources[rc.behindRes].resource))
	}
	rc.behindRes = -1
}

// describe names query i for a log line.
func (p *queryPlan) describe(i int) string {
	k := p.key(i)
	return strings.Join(k.scope.Dimensions(), ",") + "=" + k.id + " " + k.metric + " " + k.stat
}
