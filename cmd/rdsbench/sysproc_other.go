//go:build !linux

package main

import "syscall"

// sysProcAttr: only Linux can tie the child's life to ours (and rdsbench reads /proc,
// so the fleet benchmark runs on Linux only).
func sysProcAttr() *syscall.SysProcAttr { return nil }
