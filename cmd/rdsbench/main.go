// Command rdsbench measures otelcol-rds and writes the figures as markdown, so that
// docs/performance.md shows what a run measured and nothing else (`make bench`):
//
//	rdsbench machine                   the machine: CPU, memory, Go, OS
//	rdsbench fleet -out fleet.md       the real collector binary against the simulator, then
//	                                   its catch-up after a 3-hour outage (file_storage, scaled clock)
//	rdsbench promsql -out sql.md       the SQL workload of issue #11 (PostgreSQL, 50 queries x
//	                                   1,000 rows) behind the Prometheus and debug exporters
//	rdsbench micro -in bench.txt       `go test -bench` output as tables with the targets
//
// fleet needs the collector binary in -bin or OTELCOL_RDS_BIN. Every network call goes
// to 127.0.0.1, every wait is bounded and child processes are killed on exit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "rdsbench:", err)
		}
		stop()
		os.Exit(1)
	}
}

const usage = "usage: rdsbench machine | fleet [flags] | promsql [flags] | em [flags] | micro [flags] (-h for the flags)"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "machine":
		return writeMachine(stdout)
	case "fleet":
		return runFleet(ctx, args[1:], stdout, stderr)
	case "promsql":
		return runPromSQL(ctx, args[1:], stdout, stderr)
	case "em":
		return runEM(ctx, args[1:], stdout, stderr)
	case "micro":
		return runMicro(args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown command %q; %s", args[0], usage)
}
