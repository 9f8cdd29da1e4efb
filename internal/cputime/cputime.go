// Package cputime reads the CPU time of the whole process, for benchmarks that report CPU
// per unit of work: unlike wall time it includes the garbage collector on other cores.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the user plus system CPU time of this process so far, every thread
// included; 0 if the system cannot tell.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
