// Package simulator is an AWS-compatible stand-in for the parts of RDS and CloudWatch
// that the receiver calls: DescribeDBInstances, DescribeDBClusters and GetMetricData
// (Smithy RPC v2 CBOR, awsJson1_0 and awsQuery), plus minimal GetMetricStatistics,
// ListMetrics and ListTagsForResource, and the RDS logs published to CloudWatch Logs
// (FilterLogEvents, DescribeLogGroups, GetLogEvents over awsJson1_1; see logs.go). The
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
//	... run the receiver ...
//	c := sim.Counters() // c.MetricDataQueries, c.PhantomQueries, c.Phantoms, ...
//	want, ok := sim.Value(simulator.DimInstance, "pg-a", "CPUUtilization", "Average", ts, time.Minute)
//	events := sim.LogEvents("/aws/rds/instance/pg-a/postgresql", start, end)
//
// Values are a deterministic function of (series, minute): each minute holds four raw
// samples (a per-series level, a daily sinusoid and hashed noise), and every statistic of
// every period is computed from those samples, so Minimum <= pNN <= Maximum and
// Sum = Average x SampleCount (up to rounding) hold for every point.
package simulator
