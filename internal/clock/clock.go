// Package clock is where the receiver and the simulator read the time. In production it is
// the wall clock. End-to-end tests that must cover hours of CloudWatch time in minutes
// (restarts, long outages) give the collector and the simulator the same scaled clock
// through the environment variable OTELCOL_RDS_CLOCK; it is a test facility, never set by
// the package or the examples.
package clock

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// EnvVar names the environment variable that holds a scaled clock's spec (see Parse).
const EnvVar = "OTELCOL_RDS_CLOCK"

// Clock is the wall clock (its zero value) or a scaled clock that reads Start at the real
// time At and runs Speed times faster than real time.
type Clock struct {
	Start time.Time
	At    time.Time
	Speed float64
}

// Wall is the real clock.
var Wall = Clock{}

// Scaled reports whether c is not the wall clock.
func (c Clock) Scaled() bool { return c.Speed > 0 }

// Now is the clock's current time.
func (c Clock) Now() time.Time {
	if !c.Scaled() {
		return time.Now()
	}
	return c.Start.Add(time.Duration(float64(time.Since(c.At)) * c.Speed))
}

// Real converts a duration of clock time into real time (tickers run in real time).
func (c Clock) Real(d time.Duration) time.Duration {
	if !c.Scaled() {
		return d
	}
	return max(time.Millisecond, time.Duration(float64(d)/c.Speed))
}

// String is the spec Parse reads back, or "wall".
func (c Clock) String() string {
	if !c.Scaled() {
		return "wall"
	}
	return fmt.Sprintf("start=%s,at=%d,speed=%g", c.Start.UTC().Format(time.RFC3339Nano), c.At.UnixNano(), c.Speed)
}

// Parse reads "start=<RFC 3339>,at=<real Unix time in nanoseconds>,speed=<factor>": the
// clock reads start at the real time at and runs speed times faster. "" and "wall" are the
// wall clock.
func Parse(spec string) (Clock, error) {
	if spec == "" || spec == "wall" {
		return Wall, nil
	}
	var c Clock
	seen := map[string]bool{}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return Wall, fmt.Errorf("%s: %q is not key=value", EnvVar, kv)
		}
		var err error
		switch k {
		case "start":
			c.Start, err = time.Parse(time.RFC3339Nano, v)
		case "at":
			var ns int64
			ns, err = strconv.ParseInt(v, 10, 64)
			c.At = time.Unix(0, ns)
		case "speed":
			c.Speed, err = strconv.ParseFloat(v, 64)
			if err == nil && (c.Speed <= 0 || math.IsInf(c.Speed, 0) || math.IsNaN(c.Speed)) {
				err = fmt.Errorf("must be a positive number")
			}
		default:
			return Wall, fmt.Errorf("%s: unknown key %q (want start, at, speed)", EnvVar, k)
		}
		if err != nil {
			return Wall, fmt.Errorf("%s: %s=%q: %w", EnvVar, k, v, err)
		}
		seen[k] = true
	}
	for _, k := range []string{"start", "at", "speed"} {
		if !seen[k] {
			return Wall, fmt.Errorf("%s: %q lacks %s=", EnvVar, spec, k)
		}
	}
	return c, nil
}

// FromEnv is the clock named by OTELCOL_RDS_CLOCK, the wall clock when it is unset.
func FromEnv() (Clock, error) { return Parse(os.Getenv(EnvVar)) }
