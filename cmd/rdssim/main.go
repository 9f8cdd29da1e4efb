// Command rdssim serves the AWS RDS, CloudWatch and CloudWatch Logs simulator on a
// local address, for demos, manual testing and benchmarks of the receiver:
//
//	rdssim -fleet testdata/simulator/fleet-small.yaml
//	rdssim -instances 500 -seed 7 -listen 127.0.0.1:4566 -latency 20ms
//	rdssim -instances 200 -status mysql-0001=stopped -partial-periods
//	OTELCOL_RDS_CLOCK=start=2025-06-02T00:00:00Z,at=$(date +%s%N),speed=60 rdssim -instances 200 -history 6h
//
// -status puts an instance in a DBInstanceStatus since it exists (no CloudWatch data at
// all when the status publishes none); POST /_sim/status changes a status at run time,
// which leaves the data before the change in place.
//
// Point the receiver (or the AWS CLI, boto3, ...) at it with AWS_ENDPOINT_URL and any
// static credentials. Control endpoints (see simulator.Server.ServeHTTP): GET
// /_sim/counters, POST /_sim/reset, POST /_sim/faults (simulator.FaultRequest), GET and
// POST /_sim/fleet, GET and POST /_sim/status (simulator.StatusRequest), GET /_sim/time.
//
// Time: the simulator reads the clock named by -clock, by default the environment
// variable OTELCOL_RDS_CLOCK (internal/clock: "start=<RFC 3339>,at=<Unix ns>,speed=<x>",
// unset or "wall" for the wall clock), so that a test can run it and the collector on
// the same accelerated clock. Publication, the fleet's creation time (-history before
// the clock's time at start, 3 hours by default), status changes and log ingestion all
// follow that clock; -latency is real time. GET /_sim/time shows the simulator's time.
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
	"strings"
	"syscall"
	"time"

	"github.com/otelcol-rds/awsrdsreceiver/internal/clock"
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
	history := fs.Duration("history", 3*time.Hour, "how long before the clock's current time the fleet's data begins")
	partial := fs.Bool("partial-periods", false, "points of periods over 60 s appear with their first published minute and grow (as CloudWatch)")
	clockSpec := fs.String("clock", os.Getenv(clock.EnvVar), "clock spec start=<RFC 3339>,at=<Unix ns>,speed=<factor>, or wall (default: $"+clock.EnvVar+")")
	var statuses statusFlag
	fs.Var(&statuses, "status", "identifier=status: that instance is in that DBInstanceStatus since it exists (repeatable, comma-separated)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	clk, err := clock.Parse(*clockSpec)
	if err != nil {
		return fmt.Errorf("-clock: %w", err)
	}
	if *history <= 0 {
		return errors.New("-history must be positive")
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
	if err := statuses.apply(&fleet); err != nil {
		return err
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
		PartialPeriods:  *partial,
		Now:             clk.Now,
		CreatedAt:       clk.Now().Add(-*history),
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
	if clk.Scaled() {
		fmt.Fprintf(stderr, "rdssim: clock %s (now %s)\n", clk, clk.Now().UTC().Format(time.RFC3339))
	}

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

// statusFlag collects -status identifier=status pairs.
type statusFlag map[string]string

func (f *statusFlag) String() string {
	parts := make([]string, 0, len(*f))
	for id, st := range *f {
		parts = append(parts, id+"="+st)
	}
	return strings.Join(parts, ",")
}

func (f *statusFlag) Set(v string) error {
	if *f == nil {
		*f = statusFlag{}
	}
	for _, kv := range strings.Split(v, ",") {
		id, st, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || id == "" {
			return fmt.Errorf("%q is not identifier=status", kv)
		}
		if !simulator.KnownStatus(st) {
			return fmt.Errorf("unknown DB instance status %q", st)
		}
		(*f)[id] = st
	}
	return nil
}

// apply sets the statuses on the fleet's instances.
func (f statusFlag) apply(fleet *simulator.Fleet) error {
	found := 0
	for i := range fleet.Instances {
		if st, ok := f[fleet.Instances[i].Identifier]; ok {
			fleet.Instances[i].Status = st
			found++
		}
	}
	if found != len(f) {
		return fmt.Errorf("-status names %d instances, %d of them are in the fleet", len(f), found)
	}
	return nil
}
