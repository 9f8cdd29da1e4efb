// Package helmchart holds no code: its tests lint and render the Helm chart in
// deploy/helm/otelcol-rds with Helm's Go module (pinned in tools/go.mod), check the rendered
// StatefulSet's shard wiring, and keep the plain manifests in deploy/kubernetes equal to the
// chart's output (go test ./helmchart -update rewrites them).
package helmchart
