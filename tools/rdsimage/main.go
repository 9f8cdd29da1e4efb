// Command rdsimage assembles the otelcol-rds container image without a container engine
// (go-containerregistry): an OCI image index with one image per Linux architecture, each of a
// base layer (CA certificates, the non-root user, the default configuration, the state
// directory) and a layer with that architecture's static binary. index.json names the index
// otelcol-rds:<version>. It writes an OCI layout
// directory and the same layout as a tarball (`docker load`, `podman load`, skopeo's oci-archive).
//
//	rdsimage -out _build/image -tar _build/otelcol-rds-image.tar -version 0.1.0 \
//	  -config packaging/config.yaml -bin amd64=_build/linux_amd64/otelcol-rds -bin arm64=...
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Where things are in the image; the tests and deploy/kubernetes use the same paths.
const (
	BinPath    = "/usr/bin/otelcol-rds"
	ConfigPath = "/etc/otelcol-rds/config.yaml"
	CAPath     = "/etc/ssl/certs/ca-certificates.crt"
	StateDir   = "/var/lib/otelcol-rds"
	UID        = 10001
)

// RefNameAnnotation names an image in an OCI layout's index.json.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// Ports the default configuration listens on in the image: the Prometheus endpoint and the
// health check.
var Ports = []string{"9464/tcp", "13133/tcp"}

type binFlag map[string]string

func (b binFlag) String() string { return fmt.Sprint(map[string]string(b)) }
func (b binFlag) Set(v string) error {
	arch, path, ok := strings.Cut(v, "=")
	if !ok || arch == "" || path == "" {
		return fmt.Errorf("-bin %q: want arch=path", v)
	}
	b[arch] = path
	return nil
}

func main() {
	bins := binFlag{}
	out := flag.String("out", "_build/image", "OCI layout directory to write (replaced)")
	tarPath := flag.String("tar", "", "also write the layout as this tarball")
	version := flag.String("version", "", "image version (label org.opencontainers.image.version)")
	config := flag.String("config", "packaging/config.yaml", "default collector configuration")
	ca := flag.String("ca", CAPath, "CA certificate bundle (PEM) to copy into the image")
	flag.Var(bins, "bin", "arch=path of a static linux binary (repeat per architecture)")
	flag.Parse()
	if err := build(*out, *tarPath, *version, *config, *ca, bins); err != nil {
		fmt.Fprintln(os.Stderr, "rdsimage:", err)
		os.Exit(1)
	}
}

// epoch is every file's and the image's time: the same inputs give the same digests.
var epoch = time.Unix(0, 0).UTC()

func build(out, tarPath, version, configPath, caPath string, bins map[string]string) error {
	if version == "" || len(bins) == 0 {
		return fmt.Errorf("-version and at least one -bin are required")
	}
	base, err := baseLayer(configPath, caPath)
	if err != nil {
		return err
	}
	arches := make([]string, 0, len(bins))
	for a := range bins {
		arches = append(arches, a)
	}
	sort.Strings(arches)

	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range arches {
		img, err := image(base, arch, bins[arch], version)
		if err != nil {
			return err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	// The layout's index.json names the multi-architecture index by its version, as
	// `docker buildx --output type=oci` does: `podman load` and `docker load` take the name.
	top := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), mutate.IndexAddendum{
		Add:        idx,
		Descriptor: v1.Descriptor{Annotations: map[string]string{RefNameAnnotation: "otelcol-rds:" + version}},
	})
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if _, err := layout.Write(out, top); err != nil {
		return fmt.Errorf("writing the OCI layout %s: %w", out, err)
	}
	if tarPath != "" {
		if err := tarDir(out, tarPath); err != nil {
			return fmt.Errorf("writing %s: %w", tarPath, err)
		}
	}
	return nil
}

// image is one architecture's image: the base layer, the binary's layer and the config.
func image(base v1.Layer, arch, binPath, version string) (v1.Image, error) {
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return nil, fmt.Errorf("binary for %s: %w", arch, err)
	}
	binLayer, err := layer([]file{{name: BinPath, mode: 0o755, data: bin}})
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: base, MediaType: types.OCILayer},
		mutate.Addendum{Layer: binLayer, MediaType: types.OCILayer})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: epoch}
	exposed := map[string]struct{}{}
	for _, p := range Ports {
		exposed[p] = struct{}{}
	}
	cf.Config = v1.Config{
		User:         fmt.Sprintf("%d:%d", UID, UID),
		Entrypoint:   []string{BinPath},
		Cmd:          []string{"--config=" + ConfigPath},
		WorkingDir:   StateDir,
		ExposedPorts: exposed,
		Env: []string{
			"PATH=/usr/bin:/bin",
			"SSL_CERT_FILE=" + CAPath,
			// The default configuration listens on 127.0.0.1 outside a container; in one, the
			// Prometheus endpoint and the health check must be reachable from outside.
			"OTELCOL_RDS_PROMETHEUS_ENDPOINT=0.0.0.0:9464",
			"OTELCOL_RDS_HEALTH_ENDPOINT=0.0.0.0:13133",
			"STATE_DIRECTORY=" + StateDir,
		},
		Volumes: map[string]struct{}{StateDir: {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "otelcol-rds",
			"org.opencontainers.image.description": "OpenTelemetry Collector distribution for AWS RDS (awsrds receiver)",
			"org.opencontainers.image.version":     version,
			"org.opencontainers.image.licenses":    "Apache-2.0",
			"org.opencontainers.image.source":      "https://github.com/otelcol-rds/awsrdsreceiver",
		},
	}
	return mutate.ConfigFile(img, cf)
}

// baseLayer holds what every architecture shares.
func baseLayer(configPath, caPath string) (v1.Layer, error) {
	conf, err := os.ReadFile(configPath)
	if err != nil {
		return nil, fmt.Errorf("default configuration: %w", err)
	}
	ca, err := os.ReadFile(caPath)
	if err != nil {
		return nil, fmt.Errorf("CA certificates (Debian package ca-certificates): %w", err)
	}
	if !bytes.Contains(ca, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("CA certificates %s: no PEM certificate", caPath)
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\notelcol-rds:x:%d:%d:otelcol-rds:%s:/sbin/nologin\n", UID, UID, StateDir)
	group := fmt.Sprintf("root:x:0:\notelcol-rds:x:%d:\n", UID)
	return layer([]file{
		{name: "/etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "/etc/group", mode: 0o644, data: []byte(group)},
		{name: CAPath, mode: 0o644, data: ca},
		{name: ConfigPath, mode: 0o644, data: conf},
		{name: StateDir, dir: true, mode: 0o750, uid: UID},
		{name: "/tmp", dir: true, mode: 0o1777},
	})
}

type file struct {
	name string
	dir  bool
	mode int64
	uid  int
	data []byte
}

// layer is a gzipped tar of files, parent directories first, all at the epoch.
func layer(files []file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	for _, f := range files {
		name := strings.TrimPrefix(f.name, "/")
		for _, d := range parents(name) {
			if !seen[d] {
				seen[d] = true
				if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch}); err != nil {
					return nil, err
				}
			}
		}
		h := &tar.Header{Name: name, Mode: f.mode, Uid: f.uid, Gid: f.uid, ModTime: epoch}
		if f.dir {
			seen[name] = true
			h.Typeflag, h.Name = tar.TypeDir, name+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// parents lists a path's parent directories, outermost first: a/b/c -> a, a/b.
func parents(name string) []string {
	var out []string
	for d := filepath.Dir(name); d != "." && d != "/"; d = filepath.Dir(d) {
		out = append([]string{d}, out...)
	}
	return out
}

// tarDir writes the layout directory dir as a tarball (paths relative to dir).
func tarDir(dir, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name, h.ModTime, h.Uid, h.Gid, h.Uname, h.Gname = filepath.ToSlash(rel), epoch, 0, 0, "", ""
		if fi.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.IsDir() {
			return nil
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
