// Command rdssim serves the AWS RDS, CloudWatch and CloudWatch Logs simulator on a
// local address, for demos, manual testing and benchmarks of the receiver:
//
//	rdssim -fleet testdata/simulator/fleet-small.yaml
//	rdssim -instances 500 -seed 7 -listen 127.0.0.1:4566 -latency 20ms
//
// Point the receiver (or the AWS CLI, boto3, ...) at it with AWS_ENDPOINT_URL and any
// static credentials. Control endpoints: GET /_sim/counters, POST /_sim/reset,
// POST /_sim/faults, GET /_sim/fleet.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "rdssim:", err)
		}
		os.Exit(2)
	}
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rdssim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:4566", "address to listen on")
	fleetFile := fs.String("fleet", "", "fleet YAML file (see simulator.LoadFleet)")
	instances := fs.Int("instances", 0, "generate a fleet of this many instances instead of -fleet")
	seed := fs.Int64("seed", 1, "seed of the generated fleet")
	region := fs.String("region", "us-east-1", "AWS region reported in ARNs and endpoints")
	account := fs.String("account", "123456789012", "AWS account id reported in ARNs")
	latency := fs.Duration("latency", 0, "delay added to every AWS call")
	lag := fs.Duration("publication-lag", time.Minute, "delay before a metric point becomes visible after its period ends")
	logLag := fs.Duration("log-ingestion-lag", 5*time.Second, "delay before a CloudWatch Logs event becomes visible after its timestamp")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	var fleet simulator.Fleet
	switch {
	case *fleetFile != "" && *instances > 0:
		return errors.New("use either -fleet or -instances, not both")
	case *fleetFile != "":
		f, err := simulator.LoadFleet(*fleetFile)
		if err != nil {
			return err
		}
		fleet = f
	case *instances > 0:
		fleet = simulator.GenerateFleet(*instances, *seed)
	default:
		return errors.New("need -fleet FILE or -instances N")
	}
	pubLag := *lag
	if pubLag == 0 {
		pubLag = -1 // the Config spells "no lag" as negative; 0 there means the default
	}
	ingestLag := *logLag
	if ingestLag == 0 {
		ingestLag = -1
	}
	sim := simulator.New(simulator.Config{
		Fleet:           fleet,
		Region:          *region,
		AccountID:       *account,
		Latency:         *latency,
		PublicationLag:  pubLag,
		LogIngestionLag: ingestLag,
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "rdssim listening on http://%s (%d instances, %d clusters)\n",
		ln.Addr(), len(fleet.Instances), len(fleet.Clusters))

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
