package sqlquery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"go.opentelemetry.io/collector/config/configtls"
)

// RDSCABundleURL is where AWS publishes the certificates of every RDS region's CAs.
const RDSCABundleURL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"

// tlsClientConfig is the tls.Config for a server called host; nil when the
// configuration asks for plaintext (insecure: true).
func tlsClientConfig(c configtls.ClientConfig, host string) (*tls.Config, error) {
	if c.Insecure {
		return nil, nil
	}
	cfg, err := c.LoadTLSConfig(context.Background())
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return cfg, nil
}

// withTLSHint adds to a failed connection's error what to change in the configuration:
// the drivers' messages name neither the setting nor the RDS CA bundle.
func withTLSHint(err error) error {
	if err == nil {
		return nil
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		hint     string
	)
	switch {
	case errors.As(err, &unknown):
		hint = "the server's certificate is not signed by a CA of tls.ca_file (or of the system's roots without it); for RDS, set tls.ca_file to the RDS CA bundle, " + RDSCABundleURL
	case errors.As(err, &hostname):
		hint = "the server's certificate is not for this host name; set tls.server_name_override to the name it is for"
	case errors.Is(err, mysql.ErrNoTLS), strings.Contains(err.Error(), "server refused TLS connection"):
		hint = "the server does not offer TLS; to connect in plaintext anyway, set tls.insecure: true"
	default:
		return err
	}
	return fmt.Errorf("%w (%s)", err, hint)
}
