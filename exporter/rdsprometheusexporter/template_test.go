package rdsprometheusexporter

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Series that share a template are written with their full label text, escaped, and
// in the order of that text, whatever their values: values that are prefixes of
// others, or hold quotes, backslashes and newlines, where a naive order of the stored
// values would differ. Series of two resources (two templates) in one family sort
// among each other by their text too.
func TestTemplatesWriteAndSortAsTheFullText(t *testing.T) {
	values := []string{"a", `a"`, "a b", "a!", `a\`, "a\nb", "", "b", `\"`, "é", "a\x00"}
	tests := []struct {
		name      string
		resources []string
	}{
		{"one template", []string{"r1"}},
		{"two templates in one family", []string{"r2", "r1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testStore(time.Hour)
			var want []string
			for _, res := range tt.resources {
				s.consume(metrics(res, func(ms pmetric.MetricSlice) {
					for i, v := range values {
						dp := gauge(ms, "g", "", "", t0, float64(i))
						dp.Attributes().PutStr("v", v)
						want = append(want, `g{aws_rds_db_instance_identifier="`+res+`",aws_rds_tag_env="pr\"od\\x",otel_scope_name="awsrds",otel_scope_schema_url="",otel_scope_version="1.0",v="`+
							strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(v)+`"}`)
					}
				}), t0)
			}
			require.Empty(t, s.errs)
			var got []string
			for _, line := range strings.Split(render(t, s), "\n") {
				if line != "" && !strings.HasPrefix(line, "#") {
					got = append(got, line[:strings.LastIndexByte(line[:strings.LastIndexByte(line, ' ')], ' ')])
				}
			}
			slices.Sort(want)
			assert.Equal(t, want, got)
			assert.Len(t, s.templates, len(tt.resources), "one template per context and set of point label names")
		})
	}
}

// A template is shared by the families of a context and forgotten with its last series.
func TestTemplatesSharedAndReleased(t *testing.T) {
	s := testStore(5 * time.Minute)
	s.consume(metrics("a", func(ms pmetric.MetricSlice) {
		gauge(ms, "g1", "", "", t0, 1)
		gauge(ms, "g2", "", "", t0, 2)
	}), t0)
	require.Len(t, s.templates, 1)
	for _, tm := range s.templates {
		assert.Equal(t, 2, tm.refs)
	}
	s.consume(metrics("b", func(ms pmetric.MetricSlice) { gauge(ms, "g1", "", "", t0, 3) }), t0.Add(3*time.Minute))
	assert.Len(t, s.templates, 2)
	s.expire(t0.Add(6 * time.Minute))
	assert.Len(t, s.templates, 1, "a's template went with its series")
	s.expire(t0.Add(9 * time.Minute))
	assert.Empty(t, s.templates)
}
