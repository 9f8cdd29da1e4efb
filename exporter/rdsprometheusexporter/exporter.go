package rdsprometheusexporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"
)

// contentType is the text format, version 0.0.4, as client_golang's promhttp writes it.
const contentType = "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"

type prometheusExporter struct {
	cfg      *Config
	settings component.TelemetrySettings
	now      func() time.Time

	mu    sync.Mutex
	store *store
	// The gzip-compressed exposition as last rendered, served until the store changes
	// or a series expires: reads between two cycles cost a copy, not a rendering.
	gz      []byte
	gzValid bool
	gzUntil time.Time // the next expiration (zero: none)
	gzSize  int       // the last body's size, to allocate the next one at once

	server *http.Server
	served chan struct{}
}

func newExporter(cfg *Config, set exporter.Settings) *prometheusExporter {
	return &prometheusExporter{cfg: cfg, settings: set.TelemetrySettings, now: time.Now, store: newStore(cfg)}
}

func (e *prometheusExporter) consume(_ context.Context, md pmetric.Metrics) error {
	e.mu.Lock()
	changed := e.store.consume(md, e.now())
	errs := errors.Join(e.store.errs...)
	if changed {
		e.gzValid, e.gz = false, nil
	}
	e.mu.Unlock()
	if errs != nil {
		// As contrib's exporter: the points are dropped and logged, the rest is served.
		e.settings.Logger.Error("points not exported", zap.Error(errs))
	}
	return nil
}

func (e *prometheusExporter) start(ctx context.Context, host component.Host) error {
	ln, err := e.cfg.ServerConfig.ToListener(ctx)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", e.serveMetrics)
	srv, err := e.cfg.ServerConfig.ToServer(ctx, host.GetExtensions(), e.settings, mux)
	if err != nil {
		return errors.Join(err, ln.Close())
	}
	e.server, e.served = srv, make(chan struct{})
	go func() {
		defer close(e.served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.settings.Logger.Error("Prometheus endpoint stopped", zap.Error(err))
		}
	}()
	return nil
}

func (e *prometheusExporter) shutdown(ctx context.Context) error {
	if e.server == nil {
		return nil
	}
	err := e.server.Shutdown(ctx)
	select {
	case <-e.served:
	case <-ctx.Done():
	}
	return err
}

func (e *prometheusExporter) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", contentType)
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		// Rare (Prometheus asks for gzip): rendered for this read, under the lock.
		e.mu.Lock()
		defer e.mu.Unlock()
		e.expire()
		if err := e.store.write(w); err != nil {
			e.settings.Logger.Debug("writing /metrics", zap.Error(err))
		}
		return
	}
	body, err := e.gzipped()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Vary", "Accept-Encoding")
	_, _ = w.Write(body)
}

// expire drops expired series; the cached body is stale if any was due.
func (e *prometheusExporter) expire() {
	now := e.now()
	if !e.gzUntil.IsZero() && !now.Before(e.gzUntil) {
		e.gzValid, e.gz = false, nil
	}
	e.gzUntil = e.store.expire(now)
}

// gzipped returns the compressed exposition, rendering it if the store changed.
func (e *prometheusExporter) gzipped() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expire()
	if e.gzValid {
		return e.gz, nil
	}
	var buf bytes.Buffer
	buf.Grow(e.gzSize)
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := e.store.write(zw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	e.gz, e.gzValid, e.gzSize = buf.Bytes(), true, buf.Len()
	return e.gz, nil
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0" {
			return true
		}
	}
	return false
}
