package sqlquery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// runResult is what one run of one query on one target produced.
type runResult struct {
	outcome  string
	metrics  pmetric.MetricSlice
	errs     []error
	rows     int64
	counts   counts
	duration time.Duration
}

// run executes q on the target's pool within ctx (whose deadline is the query's) and
// turns the rows into metrics. It never returns the SQL text or a secret in an error.
//
// The order of the waits is what keeps targets apart: first a connection of the
// target's own pool (at most ConnectTimeout to dial one; on a down target, the cycle's
// one attempt), and only then one of the max_concurrency slots, for the query alone.
func (c *Collector) run(ctx context.Context, ts *targetState, qs *queryState, pr *probe) runResult {
	start := time.Now()
	res := runResult{metrics: pmetric.NewMetricSlice(), counts: counts{}}
	var err error
	if pr != nil {
		var first bool
		if err, first = pr.check(ctx, ts); err != nil && !first {
			// The run that made the attempt reports the target's error, once.
			res.outcome, res.duration = outcomeBackoff, time.Since(start)
			return res
		}
	}
	var conn *sql.Conn
	if err == nil {
		conn, err = ts.pool.db.Conn(ctx)
	}
	if err != nil {
		err = fmt.Errorf("connecting: %w", err)
	} else {
		defer conn.Close()
		if err = c.acquire(ctx); err == nil {
			defer c.release()
			err = c.execute(ctx, ts.pool, conn, qs, &res)
		}
	}
	res.duration = time.Since(start)

	switch {
	case err == nil:
		res.outcome = outcomeSuccess
	case errors.Is(ctx.Err(), context.Canceled):
		res.outcome = outcomeCanceled
	case ctx.Err() != nil || ts.pool.dialect.timedOut(err):
		res.outcome = outcomeTimeout
		err = fmt.Errorf("timed out after %v: %w", qs.q.timeout, err)
	case ts.pool.dialect.readOnly(err):
		res.outcome = outcomeError
		err = fmt.Errorf("rejected: the session is read-only, queries must not write: %w", err)
	default:
		res.outcome = outcomeError
	}
	if err != nil {
		res.errs = append(res.errs, err)
	}
	for i, e := range res.errs {
		res.errs[i] = scrub(fmt.Errorf("sql target %q: query %q: %w", ts.name, qs.q.Name, e), qs.q.SQL, ts.pool.secrets)
	}
	return res
}

// acquire takes one of the max_concurrency slots.
func (c *Collector) acquire(ctx context.Context) error {
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for a free query slot (max_concurrency): %w", ctx.Err())
	}
}

func (c *Collector) release() { <-c.slots }

// execute runs the query on conn as one statement when the session alone keeps it
// from writing (dialect.single), else in a read-only transaction with the server-side
// timeout set to what is left of ctx's deadline, and streams the rows into the metrics.
func (c *Collector) execute(ctx context.Context, p *pool, conn *sql.Conn, qs *queryState, res *runResult) (err error) {
	text, abort, single, err := p.dialect.single(ctx, conn, qs.q)
	if err != nil {
		return err
	}
	var on interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	} = conn
	if !single {
		tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return fmt.Errorf("starting a read-only transaction: %w", err)
		}
		// Nothing is ever committed: the transaction only scopes the read-only mode and
		// PostgreSQL's SET LOCAL.
		defer func() { _ = tx.Rollback() }()
		deadline, _ := ctx.Deadline()
		if abort, err = p.dialect.limit(ctx, conn, tx, time.Until(deadline)); err != nil {
			return fmt.Errorf("setting the server-side timeout: %w", err)
		}
		on, text = tx, qs.q.SQL
	}
	defer func() {
		// A client-side timeout: make sure the server stops the statement too.
		if err != nil && abort != nil && ctx.Err() != nil {
			abort()
		}
	}()

	rows, err := on.QueryContext(ctx, text)
	if err != nil {
		return err
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return err
	}
	metrics := make([]*metricRun, len(qs.q.Metrics))
	row := newRowAttributes(len(columns))
	for i := range qs.q.Metrics {
		metrics[i] = newMetricRun(&qs.q.Metrics[i], columns, qs.q.maxSeries(), qs.q.duplicates(), row, qs.sizes[i])
	}
	float4 := float4Columns(rows)
	values := make([]any, len(columns))
	dest := make([]any, len(columns))
	for i := range values {
		dest[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("reading row %d: %w", res.rows+1, err)
		}
		res.rows++
		for _, i := range float4 {
			if f, ok := values[i].(float64); ok {
				values[i] = float32(f)
			}
		}
		row.next(values)
		for _, m := range metrics {
			m.add(values)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading rows: %w", err)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("closing rows: %w", err)
	}

	// One completion time for every datapoint of the run.
	ts := pcommon.NewTimestampFromTime(time.Now())
	for i, m := range metrics {
		res.counts.add(m.counts)
		if err := m.missingErr(columns); err != nil {
			res.errs = append(res.errs, err)
			continue
		}
		qs.sizes[i] = len(m.points)
		m.appendTo(res.metrics, ts, &qs.starts[i])
	}
	return nil
}

// float4Columns lists PostgreSQL real columns, which pgx widens to float64: narrowed
// back, they convert through their shortest decimal form (0.1, not 0.10000000149).
func float4Columns(rows *sql.Rows) []int {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil
	}
	var out []int
	for i, t := range types {
		if t.DatabaseTypeName() == "FLOAT4" {
			out = append(out, i)
		}
	}
	return out
}
