package simulator

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNeptuneAndDocumentDBHaveNoRDSMetrics(t *testing.T) {
	f, err := ParseFleet([]byte(`
instances:
  - {identifier: graph-1, engine: neptune, class: db.r6g.large}
  - {identifier: docs-1, engine: docdb, class: db.r6g.large}
clusters:
  - {identifier: graph, engine: neptune, members: [{instance: graph-1, writer: true}]}
  - {identifier: docs, engine: docdb, members: [{instance: docs-1, writer: true}]}
`))
	require.NoError(t, err)
	s := New(Config{Fleet: f})
	assert.Empty(t, s.Series(), "AWS/RDS series for Neptune or DocumentDB")
	got := s.Fleet()
	assert.Equal(t, int32(8182), got.Instances[1].EndpointPort) // sorted: docs-1, graph-1
	assert.Equal(t, int32(27017), got.Instances[0].EndpointPort)

	_, err = ParseFleet([]byte("instances: [{identifier: lone, engine: docdb, class: db.r6g.large}]\n"))
	assert.ErrorContains(t, err, `instance "lone": docdb instance without a cluster`)
	_, err = ParseFleet([]byte(`
instances: [{identifier: g, engine: neptune, class: db.r6g.large, log_exports: [audit]}]
clusters: [{identifier: c, engine: neptune, members: [{instance: g}]}]
`))
	assert.ErrorContains(t, err, `log export "audit" is not a log type of engine "neptune"`)
}
