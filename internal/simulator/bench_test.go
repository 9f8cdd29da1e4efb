package simulator_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

func BenchmarkNewFleet5000(b *testing.B) {
	f := simulator.GenerateFleet(5000, 1)
	for b.Loop() {
		simulator.New(simulator.Config{Fleet: f})
	}
}

// BenchmarkGetMetricData measures one full 500-query call (5 one-minute points each)
// through the real SDK, per protocol.
func BenchmarkGetMetricData(b *testing.B) {
	s := newSim(b, simulator.GenerateFleet(1000, 1))
	ids := s.Series()
	qs := make([]q, 500)
	for i := range qs {
		id := ids[i*7%len(ids)]
		qs[i] = q{fmt.Sprintf("q%d", i), id.DimensionName, id.Identifier, id.Metric, "Average", 60}
	}
	in := &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries(qs...),
		StartTime:         aws.Time(t0.Add(-7 * time.Minute)),
		EndTime:           aws.Time(t0),
	}
	for _, proto := range cwProtocols {
		b.Run(proto, func(b *testing.B) {
			client := cwClient(s.URL, proto, 1)
			for b.Loop() {
				if _, err := client.GetMetricData(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDescribeDBInstances1000(b *testing.B) {
	s := newSim(b, simulator.GenerateFleet(1000, 1))
	client := rdsClient(s.URL)
	for b.Loop() {
		p := rds.NewDescribeDBInstancesPaginator(client, &rds.DescribeDBInstancesInput{})
		for p.HasMorePages() {
			if _, err := p.NextPage(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
}
