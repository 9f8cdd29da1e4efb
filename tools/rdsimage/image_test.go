package main

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// artifact returns the path in env var name, set by `make test` after `make image`: a skip
// outside CI, a failure in CI.
func artifact(t *testing.T, name string) string {
	t.Helper()
	path := os.Getenv(name)
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: run the tests with `make test`", name)
		}
		t.Skipf("%s is not set: run the tests with `make test`", name)
	}
	return path
}

var machines = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// TestImage reads `make image`'s OCI layout back and checks the index (one image per
// architecture), each image's config (user, entrypoint, ports, labels) and its files: the
// binary for the right ELF machine, the CA bundle, the default configuration, the user, the
// state directory; then runs the image's binary (under qemu-user for the other architecture) on
// the image's configuration with the image's environment.
func TestImage(t *testing.T) {
	dir := artifact(t, "OTELCOL_RDS_IMAGE")
	top, err := layout.ImageIndexFromPath(dir)
	require.NoError(t, err)
	tm, err := top.IndexManifest()
	require.NoError(t, err)
	require.Len(t, tm.Manifests, 1, "index.json: one multi-architecture index")
	assert.Equal(t, types.OCIImageIndex, tm.Manifests[0].MediaType)
	assert.Regexp(t, `^otelcol-rds:\d+\.\d+\.\d+$`, tm.Manifests[0].Annotations[RefNameAnnotation])
	idx, err := top.ImageIndex(tm.Manifests[0].Digest)
	require.NoError(t, err)
	mt, err := idx.MediaType()
	require.NoError(t, err)
	assert.Equal(t, types.OCIImageIndex, mt)
	im, err := idx.IndexManifest()
	require.NoError(t, err)

	var platforms []string
	for _, desc := range im.Manifests {
		require.NotNil(t, desc.Platform)
		platforms = append(platforms, desc.Platform.OS+"/"+desc.Platform.Architecture)
	}
	assert.ElementsMatch(t, []string{"linux/amd64", "linux/arm64"}, platforms)

	conf, err := os.ReadFile("../../packaging/config.yaml")
	require.NoError(t, err)
	for _, desc := range im.Manifests {
		arch := desc.Platform.Architecture
		t.Run(arch, func(t *testing.T) {
			img, err := idx.Image(desc.Digest)
			require.NoError(t, err)
			cf, err := img.ConfigFile()
			require.NoError(t, err)
			assert.Equal(t, "linux", cf.OS)
			assert.Equal(t, arch, cf.Architecture)
			c := cf.Config
			assert.Equal(t, "10001:10001", c.User, "non-root")
			assert.Equal(t, []string{BinPath}, c.Entrypoint)
			assert.Equal(t, []string{"--config=" + ConfigPath}, c.Cmd)
			assert.Equal(t, map[string]struct{}{"9464/tcp": {}, "13133/tcp": {}}, c.ExposedPorts)
			assert.Contains(t, c.Env, "OTELCOL_RDS_HEALTH_ENDPOINT=0.0.0.0:13133")
			assert.Contains(t, c.Env, "OTELCOL_RDS_PROMETHEUS_ENDPOINT=0.0.0.0:9464")
			assert.Contains(t, c.Volumes, StateDir)
			for _, l := range []string{"title", "description", "version", "licenses", "source"} {
				assert.NotEmpty(t, c.Labels["org.opencontainers.image."+l], l)
			}
			assert.Equal(t, "otelcol-rds", c.Labels["org.opencontainers.image.title"])

			root, hdrs := unpack(t, img)

			bin := filepath.Join(root, BinPath)
			f, err := elf.Open(bin)
			require.NoError(t, err)
			assert.Equal(t, machines[arch], f.Machine, "ELF machine of %s", BinPath)
			assert.Nil(t, f.Section(".interp"), "a static binary")
			f.Close()
			assert.Equal(t, int64(0o755), hdrs[BinPath].Mode&0o7777)

			got, err := os.ReadFile(filepath.Join(root, ConfigPath))
			require.NoError(t, err)
			assert.Equal(t, string(conf), string(got), "the default configuration")

			assert.Greater(t, caCount(t, filepath.Join(root, CAPath)), 100, "CA certificates in %s", CAPath)

			passwd, err := os.ReadFile(filepath.Join(root, "etc/passwd"))
			require.NoError(t, err)
			assert.Contains(t, string(passwd), "otelcol-rds:x:10001:10001:")
			if h := hdrs[StateDir]; assert.NotNil(t, h, StateDir) {
				assert.Equal(t, byte(tar.TypeDir), h.Typeflag)
				assert.Equal(t, 10001, h.Uid, "the state directory is the user's")
				assert.Equal(t, int64(0o750), h.Mode&0o7777)
			}

			runImage(t, arch, root, c)
			if arch == runtime.GOARCH {
				t.Run("chroot", func(t *testing.T) { runChroot(t, root, c) })
			}
		})
	}
}

// TestImageTarball checks that the tarball is the layout: the same index.json and every blob.
func TestImageTarball(t *testing.T) {
	dir := artifact(t, "OTELCOL_RDS_IMAGE")
	path := artifact(t, "OTELCOL_RDS_IMAGE_TAR")
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	tr := tar.NewReader(f)
	files := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		files++
		got, err := io.ReadAll(tr)
		require.NoError(t, err)
		want, err := os.ReadFile(filepath.Join(dir, h.Name))
		require.NoError(t, err, h.Name)
		assert.True(t, bytes.Equal(want, got), "%s differs from the layout's", h.Name)
	}
	// oci-layout, index.json, the index, 2 manifests, 2 configs, 1 shared base layer, 2 binary layers.
	assert.Equal(t, 10, files)
}

// unpack applies an image's layers in order into a temporary root; it returns the root and
// the tar header of each path (absolute, as in the image).
func unpack(t *testing.T, img v1.Image) (string, map[string]*tar.Header) {
	t.Helper()
	root := t.TempDir()
	hdrs := map[string]*tar.Header{}
	layers, err := img.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 2, "a base layer and the binary's")
	for _, l := range layers {
		mt, err := l.MediaType()
		require.NoError(t, err)
		assert.Equal(t, types.OCILayer, mt)
		rc, err := l.Uncompressed()
		require.NoError(t, err)
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			name := "/" + strings.TrimSuffix(h.Name, "/")
			hdrs[name] = h
			dst := filepath.Join(root, name)
			switch h.Typeflag {
			case tar.TypeDir:
				require.NoError(t, os.MkdirAll(dst, 0o755))
			case tar.TypeReg:
				require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
				w, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
				require.NoError(t, err)
				_, err = io.Copy(w, tr)
				require.NoError(t, err)
				require.NoError(t, w.Close())
			default:
				t.Errorf("unexpected entry %s (type %c)", name, h.Typeflag)
				continue
			}
			// As a runtime would: the layer's mode and owner (owners need root).
			mode := os.FileMode(h.Mode).Perm()
			if h.Mode&0o1000 != 0 {
				mode |= os.ModeSticky
			}
			require.NoError(t, os.Chmod(dst, mode))
			if os.Geteuid() == 0 {
				require.NoError(t, os.Lchown(dst, h.Uid, h.Gid))
			}
		}
		require.NoError(t, rc.Close())
	}
	return root, hdrs
}

// caCount parses a PEM bundle and returns its number of certificates.
func caCount(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	n := 0
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		_, err := x509.ParseCertificate(block.Bytes)
		require.NoError(t, err)
		n++
	}
	return n
}

// runImage runs the unpacked image's binary as its entrypoint would, with paths moved into the
// unpacked root: --version, then validate on the image's configuration with the image's
// environment (the state directory moved to a temporary one).
func runImage(t *testing.T, arch, root string, c v1.Config) {
	t.Helper()
	name, args := filepath.Join(root, BinPath), []string{}
	if arch != runtime.GOARCH {
		qemu := map[string]string{"amd64": "qemu-x86_64", "arm64": "qemu-aarch64"}[arch]
		path, err := exec.LookPath(qemu)
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (Debian package qemu-user, see .ci/run)", qemu)
			}
			t.Skipf("%s is not installed (Debian package qemu-user)", qemu)
		}
		name, args = path, []string{name}
	}
	env := []string{"AWS_REGION=eu-west-1", "HOME=" + os.TempDir()}
	for _, e := range c.Env {
		switch {
		case strings.HasPrefix(e, "STATE_DIRECTORY="):
			e = "STATE_DIRECTORY=" + t.TempDir()
		case strings.HasPrefix(e, "SSL_CERT_FILE="):
			e = "SSL_CERT_FILE=" + filepath.Join(root, CAPath)
		}
		env = append(env, e)
	}
	cmd := exec.Command(name, append(args, "--version")...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "otelcol-rds version "+c.Labels["org.opencontainers.image.version"])

	cfgArg := strings.Replace(c.Cmd[0], ConfigPath, filepath.Join(root, ConfigPath), 1)
	cmd = exec.Command(name, append(args, "validate", cfgArg)...)
	cmd.Env = env
	out, err = cmd.CombinedOutput()
	assert.NoError(t, err, "validate: %s", out)
}

// TestDockerfileMatches checks that the Dockerfile (for users who build with Docker; no engine
// runs here to build it) declares what rdsimage's image has: user, entrypoint, command, ports,
// environment, state directory.
func TestDockerfileMatches(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	df := string(b)
	for _, want := range []string{
		"USER 10001:10001",
		`ENTRYPOINT ["` + BinPath + `"]`,
		`CMD ["--config=` + ConfigPath + `"]`,
		"EXPOSE 9464 13133",
		`VOLUME ["` + StateDir + `"]`,
		"WORKDIR " + StateDir,
		"SSL_CERT_FILE=" + CAPath,
		"OTELCOL_RDS_PROMETHEUS_ENDPOINT=0.0.0.0:9464",
		"OTELCOL_RDS_HEALTH_ENDPOINT=0.0.0.0:13133",
		"STATE_DIRECTORY=" + StateDir,
		"otelcol-rds:x:10001:10001:",
		"chown 10001:10001 /out" + StateDir,
		"CGO_ENABLED=0",
		"cp packaging/config.yaml /out" + ConfigPath,
	} {
		assert.Contains(t, df, want)
	}
	assert.Len(t, Ports, 2, "EXPOSE above lists every port")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// runChroot runs the unpacked image as a container runtime would, short of namespaces (no
// container runtime works here: see the README): chrooted into the image's root as the image's
// user, with its entrypoint, command and environment and /proc mounted. Only the listen
// addresses move to free local ports and AWS to a closed local port. The collector must answer
// its health check and the receiver's state must appear in the state directory, as the user's.
func runChroot(t *testing.T, root string, c v1.Config) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("running the image with chroot needs root")
		}
		t.Skip("running the image with chroot needs root")
	}
	proc := filepath.Join(root, "proc")
	require.NoError(t, os.MkdirAll(proc, 0o555))
	require.NoError(t, syscall.Mount("proc", proc, "proc", 0, ""), "mount proc")
	t.Cleanup(func() { assert.NoError(t, syscall.Unmount(proc, syscall.MNT_DETACH)) })

	health := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	env := append(append([]string{}, c.Env...),
		"OTELCOL_RDS_HEALTH_ENDPOINT="+health,
		fmt.Sprintf("OTELCOL_RDS_PROMETHEUS_ENDPOINT=127.0.0.1:%d", freePort(t)),
		fmt.Sprintf("OTELCOL_RDS_TELEMETRY_PORT=%d", freePort(t)),
		"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		fmt.Sprintf("AWS_ENDPOINT_URL=http://127.0.0.1:%d", freePort(t)),
		"AWS_EC2_METADATA_DISABLED=true",
	)
	args := append([]string{"--userspec=" + c.User, root}, append(c.Entrypoint, c.Cmd...)...)
	cmd := exec.Command("chroot", args...)
	cmd.Env, cmd.Dir = env, root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("otelcol-rds output:\n%s", out.String())
		}
	})

	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + health + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("otelcol-rds exited: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "no health check answer")
	}

	entries, err := os.ReadDir(filepath.Join(root, StateDir))
	require.NoError(t, err)
	require.NotEmpty(t, entries, "file_storage wrote no state in %s", StateDir)
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		assert.EqualValues(t, UID, fi.Sys().(*syscall.Stat_t).Uid, "%s is the image user's", e.Name())
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		stopped = true
		assert.NoError(t, err, "exit status after SIGTERM")
	case <-time.After(30 * time.Second):
		t.Fatal("otelcol-rds did not stop on SIGTERM")
	}
}
