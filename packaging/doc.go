// Package packaging holds the files of the otelcol-rds .deb and .rpm packages (nfpm.yaml, the
// systemd unit, the default configuration, the environment file and the maintainer scripts) and
// the tests of the packages `make package` builds.
package packaging
