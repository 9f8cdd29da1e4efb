package sqlquery

import (
	"crypto/tls"
	"fmt"
)

// clientConfig is the tls.Config for a server called host; nil when TLS is off.
func (c TLSConfig) clientConfig(host string) (*tls.Config, error) {
	if !c.Enabled {
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // explicitly asked for by the configuration
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if c.CAFile != "" {
		pool, err := loadCAs(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
