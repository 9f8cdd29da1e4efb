package packaging

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// arch is one Linux architecture `make package` builds for.
type arch struct {
	goarch  string
	rpm     string      // RPM's name of it
	machine elf.Machine // the binary's ELF machine
	qemu    string      // qemu-user's emulator of it (Debian package qemu-user)
	deb     string      // the env var with its .deb
	rpmVar  string      // the env var with its .rpm
}

var arches = []arch{
	{"amd64", "x86_64", elf.EM_X86_64, "qemu-x86_64", "OTELCOL_RDS_DEB", "OTELCOL_RDS_RPM"},
	{"arm64", "aarch64", elf.EM_AARCH64, "qemu-aarch64", "OTELCOL_RDS_DEB_ARM64", "OTELCOL_RDS_RPM_ARM64"},
}

// TestArchPackages checks the .deb and .rpm of each architecture: their architecture fields, the
// same files as TestDebContents and TestRPM want, a binary for the right ELF machine, and that
// binary run (under qemu-user where it is not this machine's) on the packaged configuration.
// The amd64 variables hold this machine's packages on amd64 (the ones the other tests check).
func TestArchPackages(t *testing.T) {
	for _, a := range arches {
		if a.goarch == "amd64" && runtime.GOARCH != "amd64" {
			continue // OTELCOL_RDS_DEB is this machine's architecture's
		}
		t.Run(a.goarch, func(t *testing.T) {
			t.Run("deb", func(t *testing.T) {
				deb := artifact(t, a.deb)
				assert.Equal(t, a.goarch, strings.TrimSpace(run(t, minimalEnv(), tool(t, "dpkg-deb"), "--field", deb, "Architecture")))
				assert.Equal(t, wantFiles, debContents(t, deb))
				root := t.TempDir()
				run(t, minimalEnv(), tool(t, "dpkg-deb"), "--extract", deb, root)
				checkBinary(t, a, root)
			})
			t.Run("rpm", func(t *testing.T) {
				pkg := artifact(t, a.rpmVar)
				got := run(t, minimalEnv(), tool(t, "rpm"), "-qp", "--nosignature", "--nodigest", "--queryformat", "%{ARCH}", pkg)
				assert.Equal(t, a.rpm, got)
				root := extractRPM(t, pkg)
				for path := range wantFiles {
					_, err := os.Stat(filepath.Join(root, path))
					assert.NoError(t, err, "%s in the rpm", path)
				}
				checkBinary(t, a, root)
			})
		})
	}
}

// checkBinary checks the binary of an unpacked package: its ELF machine, and that it runs its
// validate command on the packaged configuration.
func checkBinary(t *testing.T, a arch, root string) {
	t.Helper()
	bin := filepath.Join(root, binPath)
	f, err := elf.Open(bin)
	require.NoError(t, err)
	assert.Equal(t, a.machine, f.Machine, "ELF machine")
	assert.Equal(t, elf.ELFCLASS64, f.Class)
	interp := f.Section(".interp")
	assert.Nil(t, interp, "a static binary (no program interpreter)")
	f.Close()

	name, args := bin, []string{}
	if a.goarch != runtime.GOARCH {
		name, args = tool(t, a.qemu), []string{bin}
	}
	out := run(t, minimalEnv(), name, append(args, "--version")...)
	assert.Equal(t, "otelcol-rds version "+distVersion(t), strings.TrimSpace(out))
	state := t.TempDir()
	cmd := exec.Command(name, append(args, "validate", "--config="+filepath.Join(root, confPath))...)
	cmd.Env = minimalEnv("STATE_DIRECTORY="+state, "AWS_REGION=eu-west-1")
	b, err := cmd.CombinedOutput()
	assert.NoError(t, err, "validate: %s", b)
}

// extractRPM unpacks an .rpm's files into a temporary directory with rpm2archive (package rpm)
// and tar.
func extractRPM(t *testing.T, pkg string) string {
	t.Helper()
	work := t.TempDir()
	cp := filepath.Join(work, filepath.Base(pkg))
	b, err := os.ReadFile(pkg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cp, b, 0o600))
	cmd := exec.Command(tool(t, "rpm2archive"), cp) // writes cp + ".tgz"
	cmd.Env = minimalEnv()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "rpm2archive: %s", out)

	root := filepath.Join(work, "root")
	require.NoError(t, os.Mkdir(root, 0o755))
	run(t, minimalEnv(), tool(t, "tar"), "-xzf", cp+".tgz", "-C", root, "--no-same-owner")
	return root
}
