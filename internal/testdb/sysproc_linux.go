package testdb

import "syscall"

// sysProcAttr puts a server in its own process group, so that cleanup can
// kill it with all its children, and has the kernel SIGKILL it when the test
// binary dies without cleaning up (a timeout panic, os.Exit, SIGKILL).
// Go applies Pdeathsig after the credential change, which would clear it.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
}
