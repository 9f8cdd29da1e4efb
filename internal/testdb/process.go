package testdb

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is a started child. It is reaped by polling rather than by a
// goroutine blocked in cmd.Wait, so that a shared server, which may outlive
// the tests, leaves no goroutine for goleak's check at exit to report.
type process struct {
	cmd    *exec.Cmd
	pid    int      // kept: Release forgets cmd.Process.Pid
	log    *os.File // the server's stdout and stderr; nil for setup commands
	exited bool
	status syscall.WaitStatus
}

// startProcess starts cmd; its output must go to files (no copying
// goroutines), and its process group is its own (see sysProcAttr).
func startProcess(cmd *exec.Cmd) (*process, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &process{cmd: cmd, pid: cmd.Process.Pid}, nil
}

// poll reaps p if it has exited, without blocking.
func (p *process) poll() bool {
	if p.exited {
		return true
	}
	var ws syscall.WaitStatus
	pid, err := syscall.Wait4(p.pid, &ws, syscall.WNOHANG, nil)
	if errors.Is(err, syscall.EINTR) || (err == nil && pid != p.pid) {
		return false
	}
	p.exited, p.status = true, ws // err is ECHILD at worst: gone anyway
	_ = p.cmd.Process.Release()
	return true
}

// wait reports whether p exited within timeout.
func (p *process) wait(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !p.poll() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// kill SIGKILLs p's whole process group (PostgreSQL's backends too) and
// reports whether p was reaped within killTimeout.
func (p *process) kill() bool {
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	return p.wait(killTimeout)
}

// exitError describes how an exited p ended, nil for success.
func (p *process) exitError() error {
	switch {
	case p.status.Exited() && p.status.ExitStatus() == 0:
		return nil
	case p.status.Exited():
		return fmt.Errorf("exit status %d", p.status.ExitStatus())
	case p.status.Signaled():
		return fmt.Errorf("killed by %v", p.status.Signal())
	}
	return errors.New("exited")
}
