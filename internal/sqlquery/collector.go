package sqlquery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

const (
	// claimGrace is how long Collect waits past a run's deadline for the run to report
	// its own outcome before reporting a timeout itself.
	claimGrace = 250 * time.Millisecond
	// maxShutdownWait bounds Shutdown even when its context has no deadline; with the
	// rest of the collector's shutdown, the process exits within 5 s.
	maxShutdownWait = 3 * time.Second
)

// Result is what one Collect produced for one target that had queries due.
type Result struct {
	Target  *Target
	Metrics pmetric.MetricSlice
	// Errs name the target, the query and, where it applies, the metric and column;
	// never the SQL text or a secret.
	Errs []error
}

// Collector runs the configured queries on the current targets.
type Collector struct {
	queries            []*query
	collectionInterval time.Duration
	poolOptions        poolOptions
	poolSize           func(queries int) int
	tel                telemetry
	logger             *zap.Logger
	slots              chan struct{} // max_concurrency

	ctx    context.Context // canceled by Shutdown
	cancel context.CancelFunc
	runs   sync.WaitGroup // run goroutines, which may outlive the Collect that started them
	active atomic.Int64

	collecting sync.Mutex // one Collect at a time
	mu         sync.Mutex
	targets    []*targetState
}

// NewCollector prepares the queries of cfg, which must have passed Validate. tb may be
// nil (no telemetry); creds may be nil when no target uses IAM authentication.
func NewCollector(cfg Config, collectionInterval time.Duration, tb *metadata.TelemetryBuilder, logger *zap.Logger, creds aws.CredentialsProvider) *Collector {
	if logger == nil {
		logger = zap.NewNop()
	}
	cfg, _ = cfg.WithPacks() // Validate reported unknown packs
	tel := newTelemetry(tb)
	c := &Collector{
		collectionInterval: collectionInterval,
		poolOptions:        poolOptions{creds: creds, logger: logger, tel: tel},
		poolSize:           cfg.poolSize,
		tel:                tel,
		logger:             logger,
		slots:              make(chan struct{}, cfg.maxConcurrency()),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for _, qc := range cfg.Queries {
		f, err := qc.filter()
		if err != nil {
			logger.Error("SQL query left out: invalid configuration", zap.String("query", qc.Name), zap.Error(err))
			continue
		}
		c.queries = append(c.queries, &query{
			QueryConfig: qc,
			filter:      f,
			interval:    qc.effectiveInterval(collectionInterval),
			timeout:     qc.effectiveTimeout(collectionInterval),
		})
	}
	return c
}

// pending is a run started by Collect. Whoever claims it first, the run when it ends or
// Collect when the deadline has passed, reports its outcome, so that it is counted once.
type pending struct {
	ts       *targetState
	qs       *queryState
	result   int // index in Collect's results
	deadline time.Time
	claimed  atomic.Bool
	done     chan runResult
}

// Collect runs the queries due at now on every target, concurrently within the
// configured bounds, and returns one Result per target that had queries due. It waits
// for each run at most until the run's own timeout, so a hung query delays nothing
// else; a query whose previous run is still going is skipped. A target whose last
// connection attempt failed gets one attempt per Collect: its other queries wait for
// that attempt and are not tried when it fails (outcome backoff). Connecting takes no
// max_concurrency slot, so unreachable targets never hold up healthy ones.
func (c *Collector) Collect(ctx context.Context, now time.Time) []Result {
	c.collecting.Lock()
	defer c.collecting.Unlock()
	// A snapshot, so that SetTargets may run meanwhile.
	type snapshot struct {
		ts      *targetState
		target  Target
		queries []*queryState
	}
	c.mu.Lock()
	targets := make([]snapshot, len(c.targets))
	for i, ts := range c.targets {
		targets[i] = snapshot{ts, ts.target, ts.queries}
	}
	c.mu.Unlock()
	if c.ctx.Err() != nil {
		return nil
	}

	var (
		results []Result
		runs    []*pending
	)
	for _, snap := range targets {
		ts := snap.ts
		var due []*queryState
		for _, qs := range snap.queries {
			if qs.due(now, c.collectionInterval) {
				qs.last = now
				due = append(due, qs)
			}
		}
		if len(due) == 0 {
			continue
		}
		t := snap.target
		results = append(results, Result{Target: &t, Metrics: pmetric.NewMetricSlice()})
		res := &results[len(results)-1]
		label := ts.label
		if ts.poolErr != nil {
			res.Errs = append(res.Errs, ts.poolErr)
			for _, qs := range due {
				c.tel.run(qs.q.Name, label, outcomeError, 0)
			}
			continue
		}
		var pr *probe
		if ts.pool.health.down() != nil {
			pr = &probe{}
		}
		for _, qs := range due {
			if !qs.running.CompareAndSwap(false, true) {
				c.tel.run(qs.q.Name, label, outcomeSkipped, 0)
				res.Errs = append(res.Errs, fmt.Errorf("sql target %q: query %q: skipped, its previous run is still going", t.Name, qs.q.Name))
				continue
			}
			p := c.start(ctx, ts, qs, pr, len(results)-1)
			if p == nil { // shutting down
				qs.running.Store(false)
				c.tel.run(qs.q.Name, label, outcomeCanceled, 0)
				continue
			}
			runs = append(runs, p)
		}
	}

	ran := map[*targetState]bool{}
	for _, p := range runs {
		r := c.wait(ctx, p)
		res := &results[p.result]
		r.metrics.MoveAndAppendTo(res.Metrics)
		res.Errs = append(res.Errs, r.errs...)
		ran[p.ts] = true
	}
	for ts := range ran {
		c.noteHealth(ts)
	}
	var unreachable int64
	for _, snap := range targets {
		if snap.ts.pool != nil && snap.ts.pool.health.down() != nil {
			unreachable++
		}
	}
	c.tel.unreachable(unreachable)
	return results
}

// start launches one run with its own deadline; nil once Shutdown has begun.
func (c *Collector) start(ctx context.Context, ts *targetState, qs *queryState, pr *probe, result int) *pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx.Err() != nil {
		return nil // Shutdown may already be waiting for the runs
	}
	c.runs.Add(1)
	c.active.Add(1)
	p := &pending{ts: ts, qs: qs, result: result, deadline: time.Now().Add(qs.q.timeout), done: make(chan runResult, 1)}
	runCtx, cancel := context.WithDeadline(ctx, p.deadline)
	stop := context.AfterFunc(ts.ctx, cancel) // shutdown or target removed
	go func() {
		defer c.runs.Done()
		defer c.active.Add(-1)
		r := c.run(runCtx, ts, qs, pr)
		stop()
		cancel()
		// Before the result is handed over: the next Collect may start right after.
		qs.running.Store(false)
		if p.claimed.CompareAndSwap(false, true) {
			c.account(ts, qs, r)
			p.done <- r
		}
	}()
	return p
}

// wait returns the run's result, or a timeout once its deadline (plus a grace for the
// run to notice) has passed.
func (c *Collector) wait(ctx context.Context, p *pending) runResult {
	timer := time.NewTimer(time.Until(p.deadline) + claimGrace)
	defer timer.Stop()
	outcome := outcomeTimeout
	select {
	case r := <-p.done:
		return r
	case <-timer.C:
	case <-ctx.Done():
		outcome = outcomeCanceled
	case <-c.ctx.Done():
		// Shutdown: the run was canceled with the rest; it normally reports at once.
		outcome = outcomeCanceled
		select {
		case r := <-p.done:
			return r
		case <-time.After(claimGrace):
		}
	}
	if !p.claimed.CompareAndSwap(false, true) {
		return <-p.done // the run has just ended
	}
	r := runResult{outcome: outcome, metrics: pmetric.NewMetricSlice(), duration: p.qs.q.timeout}
	err := fmt.Errorf("timed out after %v", p.qs.q.timeout)
	if outcome == outcomeCanceled {
		err = errors.New("canceled: shutting down")
		if ctx.Err() != nil {
			err = ctx.Err()
		}
	}
	r.errs = []error{fmt.Errorf("sql target %q: query %q: %w", p.ts.name, p.qs.q.Name, err)}
	c.account(p.ts, p.qs, r)
	return r
}

// account records a run's outcome in telemetry and the log.
func (c *Collector) account(ts *targetState, qs *queryState, r runResult) {
	query, target := qs.q.Name, ts.label
	c.tel.run(query, target, r.outcome, r.duration)
	if r.rows > 0 {
		c.tel.rows(query, target, r.rows)
	}
	c.tel.lost(query, target, r.counts)
	if ce := c.logger.Check(zap.DebugLevel, "SQL query run"); ce != nil {
		ce.Write(zap.String("query", query), zap.String("target", ts.name), zap.String("outcome", r.outcome),
			zap.Duration("duration", r.duration), zap.Int64("rows", r.rows), zap.Errors("errors", r.errs))
	}
}

// noteHealth logs when a target goes down or comes back, not on every cycle.
func (c *Collector) noteHealth(ts *targetState) {
	err := ts.pool.health.down()
	switch {
	case err != nil && !ts.down:
		c.logger.Warn("SQL target unreachable: one connection attempt per collection until it answers",
			zap.String("target", ts.name), zap.Error(scrub(err, "", ts.pool.secrets)))
	case err == nil && ts.down:
		c.logger.Info("SQL target reachable again", zap.String("target", ts.name))
	}
	ts.down = err != nil
}

// Shutdown cancels every run, waits for them at most until ctx is done or maxShutdownWait has
// passed, whichever comes first, and closes every pool.
func (c *Collector) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	c.cancel()
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, maxShutdownWait)
	defer cancel()
	done := make(chan struct{})
	go func() {
		c.runs.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("sqlquery: %d query runs still going at shutdown: %w", c.active.Load(), ctx.Err())
	}

	c.mu.Lock()
	targets := c.targets
	c.targets = nil
	c.mu.Unlock()
	// Closing a pool closes its idle connections, which may each take a round trip.
	closed := make(chan struct{})
	go func() {
		for _, ts := range targets {
			ts.close()
		}
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("sqlquery: closing connection pools: %w", ctx.Err()))
	}
	return err
}
