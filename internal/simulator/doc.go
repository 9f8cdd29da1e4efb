// Package simulator is an AWS-compatible stand-in for the parts of RDS and CloudWatch
// that the receiver calls: DescribeDBInstances, DescribeDBClusters and GetMetricData
// (Smithy RPC v2 CBOR, awsJson1_0 and awsQuery), plus minimal GetMetricStatistics,
// ListMetrics and ListTagsForResource, and the RDS logs published to CloudWatch Logs
// (FilterLogEvents, DescribeLogGroups, GetLogEvents over awsJson1_1; see logs.go), and
// Performance Insights GetResourceMetrics (awsJson1_1; see pi.go, ground truth PILoad). The
// real aws-sdk-go-v2 clients and boto3 talk to it over HTTP exactly as to AWS; SigV4
// signatures are accepted unchecked.
//
// It is test, demo and benchmark infrastructure and is never compiled into the product.
// It models AWS on its own (its own fleet types, its own rules for which CloudWatch
// series exist) so that tests can cross-check the receiver against it: Counters report
// every call, every metric requested (what GetMetricData bills) and every "phantom"
// query for a series that real CloudWatch would not have.
//
// Typical test use:
//
//	sim := simulator.New(simulator.Config{Fleet: simulator.GenerateFleet(200, 1), Now: clock.Now})
//	srv := httptest.NewServer(sim)
//	// rds and cloudwatch clients: BaseEndpoint = srv.URL, HTTPClient = simulator.HTTPClient()
//	sim.ThrottleNext("GetMetricData", 2)
//	sim.FailQuery(simulator.QueryFault{Identifier: "pg-a", Metric: "CPUUtilization", Status: "Forbidden"})
//	sim.SetInstanceStatus("mysql-a", "stopped")
//	... run the receiver ...
//	c := sim.Counters() // c.MetricDataQueries, c.PhantomQueries, c.InactiveQueries, c.ResultsByStatus, ...
//	want, ok := sim.Value(simulator.DimInstance, "pg-a", "CPUUtilization", "Average", ts, time.Minute)
//	events := sim.LogEvents("/aws/rds/instance/pg-a/postgresql", start, end)
//
// Values are a deterministic function of (series, minute): each minute holds four raw
// samples (a per-series level, a daily sinusoid and hashed noise), and every statistic of
// every period is computed from those samples, so Minimum <= pNN <= Maximum and
// Sum = Average x SampleCount (up to rounding) hold for every point.
//
// Time: everything reads Config.Now (rdssim: the clock of internal/clock, from -clock or
// OTELCOL_RDS_CLOCK): publication, the fleet's default creation time, status changes,
// log ingestion. A minute [m, m+60s) is published at m+60s+PublicationLag. A 60-second
// point appears whole then; a point of a longer period appears whole when its last
// minute is published, or, with Config.PartialPeriods (rdssim -partial-periods), as
// CloudWatch shows it: as soon as its first minute is published, aggregating the minutes
// published so far. Value is a point's final value, ValueAt its value as visible at a
// given time.
//
// Instance lifecycle: every instance has a status history (status and status_since in
// the fleet, SetInstanceStatus or POST /_sim/status at run time). A minute has data only
// if the instance was in a status where PublishesMetrics is true at some instant of it
// (available, backing-up, modifying, ...; not stopped, starting, creating, ...: see
// status.go for the list and its source). DescribeDBInstances reports the current
// status; Counters.InactiveQueries counts the billed queries for instances whose status
// publishes nothing. Cluster-level series ignore statuses.
//
// Faults: whole calls (ThrottleNext: HTTP 400 Throttling; FailNext: HTTP 500
// InternalFailure; FailQueriesFor: every call holding an identifier fails), and inside
// a successful GetMetricData answer one query's own StatusCode (FailQuery: Forbidden,
// InternalError, PartialData with a NextToken, or Messages on a Complete result),
// top-level Messages (AddCallMessage) and a datapoint cap per page that forces paging
// (SetPageLimit); late series (SetLate) and latency (SetLatency). POST /_sim/faults
// takes all of them as JSON (FaultRequest). Forbidden and InternalError results carry no
// points and no NextToken (AWS: "Retry your request using NextToken, if present").
package simulator
