package packaging

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	pkgName  = "otelcol-rds"
	binPath  = "/usr/bin/otelcol-rds"
	unitPath = "/usr/lib/systemd/system/otelcol-rds.service"
	confPath = "/etc/otelcol-rds/config.yaml"
	envPath  = "/etc/otelcol-rds/otelcol-rds.env"
	// stateDir holds the receiver's durable state (file_storage); the unit's StateDirectory.
	stateDir = "/var/lib/otelcol-rds"
)

// conffiles are the files the package manager must not overwrite once edited.
var conffiles = []string{confPath, envPath}

// entry is one file of a package as its manager lists it.
type entry struct {
	perms, owner, group string
}

// wantFiles are the package's files (directories aside), with their modes and owners.
var wantFiles = map[string]entry{
	binPath:                                {"-rwxr-xr-x", "root", "root"},
	confPath:                               {"-rw-r--r--", "root", "root"},
	envPath:                                {"-rw-r-----", "root", pkgName},
	unitPath:                               {"-rw-r--r--", "root", "root"},
	"/usr/share/doc/otelcol-rds/README.md": {"-rw-r--r--", "root", "root"},
	"/usr/share/doc/otelcol-rds/documentation.md": {"-rw-r--r--", "root", "root"},
}

// inCI reports whether the tests run in CI, where what they need must be there.
func inCI() bool { return os.Getenv("CI") == "true" }

// missing skips the test outside CI and fails it in CI.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// artifact returns the path in env var name; the Makefile sets it after `make package`.
func artifact(t *testing.T, name string) string {
	t.Helper()
	path := os.Getenv(name)
	if path == "" {
		missing(t, "%s is not set: run the tests with `make test`", name)
	}
	_, err := os.Stat(path)
	require.NoError(t, err, "%s", name)
	return path
}

// tool returns the path of a program the test needs.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		missing(t, "%s is not installed (Debian package: see .ci/run): %v", name, err)
	}
	return path
}

// run runs a command and returns its standard output; it fails the test on an error.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "%s %s\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), stdout.String(), stderr.String())
	return stdout.String()
}

// distVersion is builder-config.yaml's dist version, the packages' version.
func distVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../builder-config.yaml")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^dist:\n(?:  .*\n)*?  version: *(\S+)`).FindSubmatch(b)
	require.NotNil(t, m, "no dist version in builder-config.yaml")
	return string(m[1])
}

// minimalEnv is the environment of the commands under test: none of the caller's AWS or
// collector variables.
func minimalEnv(extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "LANG=C"}, extra...)
}

func TestDebControl(t *testing.T) {
	deb := artifact(t, "OTELCOL_RDS_DEB")
	dpkgDeb := tool(t, "dpkg-deb")
	env := minimalEnv()

	fields := map[string]string{}
	for _, f := range []string{"Package", "Version", "Architecture", "Maintainer", "Homepage", "Description", "Section"} {
		fields[f] = strings.TrimSpace(run(t, env, dpkgDeb, "--field", deb, f))
	}
	for _, tc := range []struct {
		field string
		check func(string) bool
	}{
		{"Package", func(v string) bool { return v == pkgName }},
		{"Version", func(v string) bool { return v == distVersion(t) }},
		{"Architecture", func(v string) bool { return v == runtime.GOARCH }},
		{"Maintainer", func(v string) bool { return strings.Contains(v, "@") }},
		{"Homepage", func(v string) bool { return strings.HasPrefix(v, "https://") }},
		{"Description", func(v string) bool { return strings.Contains(v, "AWS RDS") }},
		{"Section", func(v string) bool { return v != "" }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			assert.True(t, tc.check(fields[tc.field]), "%s: %q", tc.field, fields[tc.field])
		})
	}

	ctrl := t.TempDir()
	run(t, env, dpkgDeb, "--control", deb, ctrl)
	t.Run("conffiles", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(ctrl, "conffiles"))
		require.NoError(t, err)
		assert.ElementsMatch(t, conffiles, strings.Fields(string(b)))
	})
	for _, script := range []string{"preinst", "postinst", "prerm", "postrm"} {
		t.Run(script, func(t *testing.T) {
			path := filepath.Join(ctrl, script)
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
			run(t, env, "sh", "-n", path) // syntax only: running them would change this machine
		})
	}
}

// debContents lists the package's files (not directories) as dpkg-deb --contents shows them.
func debContents(t *testing.T, deb string) map[string]entry {
	t.Helper()
	out := run(t, minimalEnv(), tool(t, "dpkg-deb"), "--contents", deb)
	files := map[string]entry{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		// -rwxr-xr-x root/root  38000000 2026-01-01 00:00 ./usr/bin/otelcol-rds
		f := strings.Fields(line)
		require.GreaterOrEqual(t, len(f), 6, "%q", line)
		if strings.HasPrefix(f[0], "d") {
			continue
		}
		owner, group, _ := strings.Cut(f[1], "/")
		files[strings.TrimPrefix(f[5], ".")] = entry{f[0], owner, group}
	}
	return files
}

func TestDebContents(t *testing.T) {
	deb := artifact(t, "OTELCOL_RDS_DEB")
	files := debContents(t, deb)
	for path, want := range wantFiles {
		t.Run(path, func(t *testing.T) {
			got, ok := files[path]
			require.True(t, ok, "%s is not in the package", path)
			assert.Equal(t, want, got)
		})
	}
	for path := range files {
		assert.Contains(t, wantFiles, path, "unexpected file in the package")
	}
	t.Run(stateDir, func(t *testing.T) {
		assert.Equal(t, entry{"drwxr-x---", pkgName, pkgName}, debDirs(t, deb)[stateDir])
	})
}

// debDirs lists the package's directories as dpkg-deb --contents shows them.
func debDirs(t *testing.T, deb string) map[string]entry {
	t.Helper()
	out := run(t, minimalEnv(), tool(t, "dpkg-deb"), "--contents", deb)
	dirs := map[string]entry{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[0], "d") {
			continue
		}
		owner, group, _ := strings.Cut(f[1], "/")
		dirs[strings.TrimSuffix(strings.TrimPrefix(f[5], "."), "/")] = entry{f[0], owner, group}
	}
	return dirs
}

func TestRPM(t *testing.T) {
	pkg := artifact(t, "OTELCOL_RDS_RPM")
	rpm := tool(t, "rpm")
	env := minimalEnv()
	query := func(args ...string) string {
		return run(t, env, rpm, append([]string{"-qp", "--nosignature", "--nodigest"}, append(args, pkg)...)...)
	}

	rpmArch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	header := strings.TrimSpace(query("--queryformat", "%{NAME}|%{VERSION}|%{RELEASE}|%{ARCH}|%{LICENSE}|%{URL}|%{PACKAGER}"))
	assert.Equal(t, strings.Join([]string{pkgName, distVersion(t), "1", rpmArch, "Apache-2.0",
		"https://github.com/otelcol-rds/awsrdsreceiver", "otelcol-rds maintainers <otelcol-rds@users.noreply.github.com>"}, "|"), header)

	t.Run("files", func(t *testing.T) {
		out := query("--queryformat", "[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]")
		files, dirs, flags := map[string]entry{}, map[string]entry{}, map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) == 4 { // no flags
				f = []string{f[0], f[1], f[2], "", f[3]}
			}
			require.Len(t, f, 5, "%q", line)
			if strings.HasPrefix(f[0], "d") {
				dirs[f[4]] = entry{f[0], f[1], f[2]}
				continue
			}
			files[f[4]] = entry{f[0], f[1], f[2]}
			flags[f[4]] = f[3]
		}
		for path, want := range wantFiles {
			assert.Equal(t, want, files[path], path)
		}
		for path := range files {
			assert.Contains(t, wantFiles, path, "unexpected file in the package")
		}
		assert.Equal(t, entry{"drwxr-x---", pkgName, pkgName}, dirs[stateDir], "the state directory")
		for _, path := range conffiles {
			// c: %config, n: noreplace (an edited file stays; the new one lands as .rpmnew).
			assert.Equal(t, "cn", flags[path], "%s flags", path)
		}
	})

	t.Run("scripts", func(t *testing.T) {
		out := query("--scripts")
		for _, tc := range []struct{ scriptlet, script string }{
			{"preinstall", "preinstall.sh"},
			{"postinstall", "postinstall.sh"},
			{"preuninstall", "preremove.sh"},
			{"postuninstall", "postremove.sh"},
		} {
			want, err := os.ReadFile(filepath.Join("scripts", tc.script))
			require.NoError(t, err)
			i := strings.Index(out, tc.scriptlet+" scriptlet (using /bin/sh):\n")
			if assert.GreaterOrEqual(t, i, 0, "no %s scriptlet in\n%s", tc.scriptlet, out) {
				assert.Contains(t, out[i:], strings.TrimSpace(string(want)), tc.scriptlet)
			}
		}
	})
}

// unit parses a systemd unit file into section.key -> values (a key may repeat).
func unit(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string][]string{}
	section := ""
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			require.True(t, ok, "not key=value: %q", line)
			out[section+"."+k] = append(out[section+"."+k], v)
		}
	}
	require.NoError(t, s.Err())
	return out
}

func TestUnitDirectives(t *testing.T) {
	u := unit(t, "otelcol-rds.service")
	for _, tc := range []struct {
		key  string
		want []string
	}{
		{"Unit.After", []string{"network-online.target"}},
		{"Unit.Wants", []string{"network-online.target"}},
		{"Service.User", []string{pkgName}},
		{"Service.Group", []string{pkgName}},
		{"Service.EnvironmentFile", []string{"-" + envPath}},
		{"Service.ExecStart", []string{binPath + " --config=" + confPath + " $OTELCOL_OPTIONS"}},
		// Validate first: the collector exits when a reload meets an invalid configuration.
		{"Service.ExecReload", []string{binPath + " validate --config=" + confPath + " $OTELCOL_OPTIONS", "/bin/kill -HUP $MAINPID"}},
		{"Service.Restart", []string{"on-failure"}},
		{"Service.RestartSec", []string{"5s"}},
		{"Service.NoNewPrivileges", []string{"yes"}},
		{"Service.ProtectSystem", []string{"strict"}},
		{"Service.ProtectHome", []string{"yes"}},
		{"Service.PrivateTmp", []string{"yes"}},
		{"Service.CapabilityBoundingSet", []string{""}},
		// The one writable place under ProtectSystem=strict: systemd creates it for User= and
		// sets STATE_DIRECTORY, which the packaged config.yaml gives file_storage.
		{"Service.StateDirectory", []string{"otelcol-rds"}},
		{"Service.StateDirectoryMode", []string{"0750"}},
		{"Install.WantedBy", []string{"multi-user.target"}},
	} {
		t.Run(tc.key, func(t *testing.T) {
			assert.Equal(t, tc.want, u[tc.key])
		})
	}
}

// dpkgRoot is a throwaway root for `dpkg --root`: dpkg's admin directory and the account files
// of a fresh system.
func dpkgRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "var/log", "etc"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	for name, content := range map[string]string{
		"var/lib/dpkg/status":    "",
		"var/lib/dpkg/available": "",
		"etc/passwd":             "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":              "root:x:0:\n",
		"etc/shadow":             "root:*:19000:0:99999:7:::\n",
		"etc/gshadow":            "root:*::\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(content), 0o644))
	}
	return root
}

// account returns the fields of name's line in an account file (passwd, group).
func account(t *testing.T, path, name string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Split(line, ":"); f[0] == name {
			return f
		}
	}
	return nil
}

// TestDebInstall installs the .deb into a throwaway root with dpkg, maintainer scripts included
// (chrootless: they see the root in DPKG_ROOT and change its account files, never this
// machine's), then tests the installed files: the configuration validates, the unit verifies,
// the collector starts and reloads on SIGHUP; then removes and purges the package.
func TestDebInstall(t *testing.T) {
	deb := artifact(t, "OTELCOL_RDS_DEB")
	dpkg := tool(t, "dpkg")
	for _, name := range []string{"useradd", "groupadd"} {
		tool(t, name)
	}
	if os.Geteuid() != 0 {
		missing(t, "installing with dpkg needs root (files owned by root and by the otelcol-rds group)")
	}

	hostAccounts := map[string][]byte{}
	for _, f := range []string{"/etc/passwd", "/etc/group"} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		hostAccounts[f] = b
	}
	t.Cleanup(func() {
		for f, before := range hostAccounts {
			after, err := os.ReadFile(f)
			if assert.NoError(t, err) {
				assert.Equal(t, string(before), string(after), "the package test changed this machine's %s", f)
			}
		}
	})

	root := dpkgRoot(t)
	env := minimalEnv()
	dpkgIn := func(args ...string) string {
		return run(t, env, dpkg, append([]string{"--root=" + root, "--force-script-chrootless", "--no-triggers", "--log=/dev/null"}, args...)...)
	}

	out := dpkgIn("--install", deb)
	assert.Contains(t, out, "systemctl enable --now otelcol-rds", "postinst's hint")

	status := dpkgIn("--status", pkgName)
	assert.Contains(t, status, "Status: install ok installed")
	for _, c := range conffiles {
		assert.Contains(t, status, " "+c+" ", "conffile in dpkg's status")
	}

	user := account(t, filepath.Join(root, "etc/passwd"), pkgName)
	group := account(t, filepath.Join(root, "etc/group"), pkgName)
	require.NotNil(t, user, "preinst created no user")
	require.NotNil(t, group, "preinst created no group")
	t.Run("user", func(t *testing.T) {
		uid, err := strconv.Atoi(user[2])
		require.NoError(t, err)
		assert.Less(t, uid, 1000, "a system user")
		assert.Equal(t, group[2], user[3], "primary group")
		assert.Equal(t, "/usr/sbin/nologin", user[6])
		_, err = os.Stat(filepath.Join(root, user[5]))
		assert.True(t, os.IsNotExist(err), "no home directory %s", user[5])
	})

	for _, tc := range []struct {
		path     string
		perm     os.FileMode
		uid, gid string
	}{
		{binPath, 0o755, "0", "0"},
		{confPath, 0o644, "0", "0"},
		{envPath, 0o640, "0", group[2]},
		{unitPath, 0o644, "0", "0"},
		{stateDir, os.ModeDir | 0o750, user[2], group[2]}, // the service user's, nobody else's
	} {
		t.Run("installed"+tc.path, func(t *testing.T) {
			fi, err := os.Stat(filepath.Join(root, tc.path))
			require.NoError(t, err)
			st := fi.Sys().(*syscall.Stat_t)
			assert.Equal(t, tc.perm, fi.Mode()&(os.ModeDir|os.ModePerm))
			assert.Equal(t, tc.uid, strconv.Itoa(int(st.Uid)))
			assert.Equal(t, tc.gid, strconv.Itoa(int(st.Gid)))
		})
	}
	if bin := os.Getenv("OTELCOL_RDS_BIN"); bin != "" {
		assert.Equal(t, sha256File(t, bin), sha256File(t, filepath.Join(root, binPath)), "the package holds the binary make dist built")
	}

	t.Run("validate", func(t *testing.T) { testValidate(t, root) })
	t.Run("systemd-analyze", func(t *testing.T) { testSystemdAnalyze(t, root) })
	t.Run("reload", func(t *testing.T) { testReload(t, root) })

	// An upgrade (same version again): the scripts take their upgrade paths, the account and
	// the receiver's state stay.
	state := filepath.Join(root, stateDir, "receiver_awsrds_")
	require.NoError(t, os.WriteFile(state, []byte("state"), 0o600))
	dpkgIn("--install", deb)
	assert.Equal(t, user, account(t, filepath.Join(root, "etc/passwd"), pkgName))
	_, err := os.Stat(state)
	assert.NoError(t, err, "the state survives an upgrade")

	dpkgIn("--remove", pkgName)
	for _, p := range []string{binPath, unitPath} {
		_, err := os.Stat(filepath.Join(root, p))
		assert.True(t, os.IsNotExist(err), "%s after remove", p)
	}
	for _, p := range conffiles {
		_, err := os.Stat(filepath.Join(root, p))
		assert.NoError(t, err, "conffile %s stays after remove", p)
	}
	_, err = os.Stat(state)
	assert.NoError(t, err, "the state stays after remove")
	dpkgIn("--purge", pkgName)
	_, err = os.Stat(filepath.Join(root, "etc/otelcol-rds"))
	assert.True(t, os.IsNotExist(err), "/etc/otelcol-rds after purge")
	_, err = os.Stat(filepath.Join(root, stateDir))
	assert.True(t, os.IsNotExist(err), "%s after purge", stateDir)
	assert.Equal(t, user, account(t, filepath.Join(root, "etc/passwd"), pkgName), "the user stays")
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// envFile returns the assignments of the installed environment file; with examples, also the
// commented-out ones that carry a value.
func envFile(t *testing.T, root string, examples bool) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, envPath))
	require.NoError(t, err)
	var out []string
	assign := regexp.MustCompile(`^#?([A-Z][A-Z0-9_]*)=(\S+)$`)
	for _, line := range strings.Split(string(b), "\n") {
		m := assign.FindStringSubmatch(line)
		if m == nil || (strings.HasPrefix(line, "#") && !examples) {
			continue
		}
		out = append(out, m[1]+"="+m[2])
	}
	return out
}

// testValidate runs the installed binary's validate command on the installed configuration,
// with the environment file's variables, as ExecReload does.
func testValidate(t *testing.T, root string) {
	examples := envFile(t, root, true)
	require.Contains(t, examples, "AWS_REGION=eu-west-1")
	conf, err := os.ReadFile(filepath.Join(root, confPath))
	require.NoError(t, err)
	assert.Contains(t, string(conf), "directory: ${env:STATE_DIRECTORY:-"+stateDir+"}", "file_storage keeps the state in the unit's StateDirectory")
	assert.Contains(t, string(conf), "storage: file_storage", "the receiver uses it")
	// systemd sets STATE_DIRECTORY for every Exec*= command of the unit, ExecReload's validate
	// included; here it is the state directory the package created in the throwaway root.
	state := "STATE_DIRECTORY=" + filepath.Join(root, stateDir)
	for _, tc := range []struct {
		name  string
		env   []string
		valid bool
	}{
		{"as installed", envFile(t, root, false), true},
		{"examples of the environment file", examples, true},
		{"region from AWS_REGION", []string{"AWS_REGION=us-east-1"}, true},
		{"invalid AWS_REGION", []string{"AWS_REGION=not-a-region"}, false}, // the config does read it
		{"invalid listen port", []string{"OTELCOL_RDS_TELEMETRY_PORT=http"}, false},
		{"no state directory", []string{"STATE_DIRECTORY=" + filepath.Join(root, "var/lib/none")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(root, binPath), "validate", "--config="+filepath.Join(root, confPath))
			cmd.Env = minimalEnv(append([]string{state}, tc.env...)...)
			out, err := cmd.CombinedOutput()
			if tc.valid {
				assert.NoError(t, err, "%s", out)
			} else {
				assert.Error(t, err, "%s", out)
			}
		})
	}
}

// testSystemdAnalyze runs `systemd-analyze verify` on the installed unit in the throwaway root
// (--root), so that ExecStart's binary is the installed one. The units the unit refers to
// (sysinit.target, network-online.target, ...) come from this machine's systemd.
func testSystemdAnalyze(t *testing.T, root string) {
	analyze := tool(t, "systemd-analyze")
	units := ""
	for _, dir := range []string{"/usr/lib/systemd/system", "/lib/systemd/system"} {
		if _, err := os.Stat(filepath.Join(dir, "sysinit.target")); err == nil {
			units = dir
			break
		}
	}
	if units == "" {
		missing(t, "no systemd units on this machine (Debian package systemd)")
	}
	// -n: the package's own unit stays as installed.
	run(t, minimalEnv(), "cp", "-an", units+"/.", filepath.Join(root, filepath.Dir(unitPath)))

	cmd := exec.Command(analyze, "verify", "--root="+root, "--man=no", unitPath)
	cmd.Env = minimalEnv()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	// Unknown keys and values that do not parse are warnings, not errors.
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.Contains(line, "otelcol-rds") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
	// The unit the package installed is the one whose directives TestUnitDirectives checks.
	want, err := os.ReadFile("otelcol-rds.service")
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(root, unitPath))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testReload runs the installed collector with the installed configuration as the unit does
// (listen ports moved to free ones, AWS pointed at a closed local port), reloads it with the
// unit's signal, SIGHUP, and stops it.
func testReload(t *testing.T, root string) {
	health := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(filepath.Join(root, binPath), "--config="+filepath.Join(root, confPath))
	cmd.Env = minimalEnv(
		"STATE_DIRECTORY="+filepath.Join(root, stateDir), // as the unit's StateDirectory= sets it
		"OTELCOL_RDS_HEALTH_ENDPOINT="+health,
		fmt.Sprintf("OTELCOL_RDS_PROMETHEUS_ENDPOINT=127.0.0.1:%d", freePort(t)),
		fmt.Sprintf("OTELCOL_RDS_TELEMETRY_PORT=%d", freePort(t)),
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		fmt.Sprintf("AWS_ENDPOINT_URL=http://127.0.0.1:%d", freePort(t)),
		"AWS_EC2_METADATA_DISABLED=true",
	)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("otelcol-rds output:\n%s", out.String())
		}
	})

	healthy := func() bool {
		resp, err := http.Get("http://" + health + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			select {
			case err := <-exited:
				t.Fatalf("otelcol-rds exited while waiting for %s: %v", what, err)
			default:
			}
			require.True(t, time.Now().Before(deadline), "timed out waiting for %s", what)
			time.Sleep(100 * time.Millisecond)
		}
	}

	waitFor("the health check", healthy)
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	// The collector logs that it restarts its service, then that it is ready a second time.
	const ready = "Everything is ready"
	waitFor("the reload", func() bool {
		s := out.String()
		return strings.Contains(s, "Config updated, restart service") && strings.Count(s, ready) == 2
	})
	waitFor("the health check after the reload", healthy)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		assert.NoError(t, err, "exit status after SIGTERM")
	case <-time.After(30 * time.Second):
		t.Fatal("otelcol-rds did not stop on SIGTERM")
	}
}
