package awsrdsreceiver

import (
	"fmt"

	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/catalog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

// selected is one enabled catalogue metric and the statistic to request for it.
type selected struct {
	entry *catalog.Entry
	stat  string
}

// selection is the enabled metric set, split by scope (instance, cluster, proxy, ...).
// It is fixed for the receiver's life.
type selection [catalog.Scopes][]selected

// newSelection keeps the catalogue entries that the metrics config enables.
func newSelection(metrics metadata.MetricsConfig, cw CloudWatchConfig) (selection, error) {
	conf := confmap.New()
	if err := conf.Marshal(metrics); err != nil {
		return selection{}, fmt.Errorf("reading the metrics configuration: %w", err)
	}
	var sel selection
	for i := range catalog.Entries {
		e := &catalog.Entries[i]
		if enabled, _ := conf.Get(e.Name + confmap.KeyDelimiter + "enabled").(bool); !enabled {
			continue
		}
		stat := cw.Statistic
		if s, ok := cw.Statistics[e.Name]; ok {
			stat = s
		}
		sel[e.Scope] = append(sel[e.Scope], selected{e, stat})
	}
	return sel, nil
}
