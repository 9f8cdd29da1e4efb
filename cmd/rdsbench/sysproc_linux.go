package main

import "syscall"

// sysProcAttr makes the kernel kill the collector if this program dies first (a panic,
// SIGKILL), so that no benchmark leaves a collector running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
