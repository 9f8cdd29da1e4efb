package testdb

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTB records how a helper ended the test instead of ending the real one.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Skip(...any)           { f.skipped = true; runtime.Goexit() }
func (f *fakeTB) Fatal(...any)          { f.failed = true; runtime.Goexit() }
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true; runtime.Goexit() }

func run(fn func(testing.TB)) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

func TestUnavailable(t *testing.T) {
	missing := &unavailableError{"testdb: mariadb unavailable: test"}

	t.Setenv("CI", "")
	f := run(func(tb testing.TB) { unavailable(tb, missing) })
	assert.True(t, f.skipped && !f.failed, "skip outside CI")

	t.Setenv("CI", "true")
	f = run(func(tb testing.TB) { unavailable(tb, missing) })
	assert.True(t, f.failed && !f.skipped, "fail in CI")

	t.Setenv("CI", "")
	f = run(func(tb testing.TB) { unavailable(tb, errors.New("broken")) })
	assert.True(t, f.failed && !f.skipped, "other errors fail")
}

func TestSharedServersCannotRestart(t *testing.T) {
	s := &Server{Engine: "mariadb", shared: true}
	assert.True(t, run(s.Stop).failed)
	assert.True(t, run(s.Start).failed)
}

func TestSweep(t *testing.T) {
	dead, err := os.MkdirTemp(tempRoot, tempPrefix)
	require.NoError(t, err)
	live, err := os.MkdirTemp(tempRoot, tempPrefix)
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dead); _ = os.RemoveAll(live) })

	// Beyond the kernel's pid_max (at most 2^22), so surely not running.
	require.NoError(t, os.WriteFile(filepath.Join(dead, ownerFile), []byte("99999999"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(live, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644))
	sweep()
	assert.NoDirExists(t, dead)
	assert.DirExists(t, live)
}
