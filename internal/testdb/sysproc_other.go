//go:build unix && !linux

package testdb

import "syscall"

// sysProcAttr puts a server in its own process group, so that cleanup can
// kill it with all its children. Only Linux can also tie its life to the
// test binary's; elsewhere the Debian server paths are missing anyway.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: cred}
}
