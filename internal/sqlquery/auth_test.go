package sqlquery

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configtls"
	"go.uber.org/zap"
)

// countingCreds counts how often AWS credentials are asked for: once per token.
func countingCreds(n *atomic.Int64) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		n.Add(1)
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Source: "test"}, nil
	})
}

func TestIAMTokenShape(t *testing.T) {
	var n atomic.Int64
	a, err := newIAMAuth(countingCreds(&n), "", "orders.abc123.eu-west-1.rds.amazonaws.com", "iam_user")
	require.NoError(t, err)
	tok, err := a.token(context.Background(), "orders.abc123.eu-west-1.rds.amazonaws.com", 5432)
	require.NoError(t, err)
	u, err := url.Parse("https://" + tok)
	require.NoError(t, err)
	assert.Equal(t, "orders.abc123.eu-west-1.rds.amazonaws.com:5432", u.Host)
	q := u.Query()
	assert.Equal(t, "connect", q.Get("Action"))
	assert.Equal(t, "iam_user", q.Get("DBUser"))
	assert.Equal(t, "900", q.Get("X-Amz-Expires"))
	assert.Contains(t, q.Get("X-Amz-Credential"), "/eu-west-1/rds-db/aws4_request")
	assert.NotEmpty(t, q.Get("X-Amz-Signature"))

	_, err = newIAMAuth(countingCreds(&n), "", "db.example.com", "iam_user")
	assert.ErrorContains(t, err, "cannot tell the AWS region")
	_, err = newIAMAuth(nil, "eu-west-1", "db.example.com", "iam_user")
	assert.ErrorContains(t, err, "no AWS credentials")
}

// TestIAMTokenPerConnectionPostgres logs in to a fake PostgreSQL server over TLS and
// checks that every new connection sends a freshly minted token as its password, and
// application_name.
func TestIAMTokenPerConnectionPostgres(t *testing.T) {
	srv := startFakePostgres(t)
	var n atomic.Int64
	target := &Target{Name: "iam", Engine: "postgres", Host: "127.0.0.1", Port: srv.port, Region: "eu-west-1",
		Credentials: Credentials{Username: "iam_user", IAMAuth: true, TLS: tlsWithCA(srv.caFile, "db.test")}}
	p, err := openPool(target, poolOptions{creds: countingCreds(&n), logger: zap.NewNop(), tel: newTelemetry(nil)}, time.Minute)
	require.NoError(t, err)
	defer p.db.Close()

	for range 3 {
		err := p.db.PingContext(context.Background())
		require.ErrorContains(t, err, "token rejected by the fake server")
	}
	logins := srv.logins()
	require.Len(t, logins, 3)
	assert.EqualValues(t, 3, n.Load(), "one token per connection")
	for i, l := range logins {
		assert.Equal(t, "iam_user", l.params["user"])
		assert.Equal(t, ApplicationName, l.params["application_name"])
		assert.Contains(t, l.password, "127.0.0.1:"+itoa(srv.port)+"?Action=connect&DBUser=iam_user", "login %d", i)
		assert.Contains(t, l.password, "X-Amz-Signature=")
	}
	assert.Error(t, p.health.down(), "a rejected login is a failed connection attempt")
}

// TestIAMTokenPerConnectionMySQL checks that the MySQL connector mints a token before
// every connection attempt (the fake server hangs up before the login).
func TestIAMTokenPerConnectionMySQL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	var n atomic.Int64
	target := &Target{Name: "iam", Engine: "aurora-mysql", Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, Region: "eu-west-1",
		Credentials: Credentials{Username: "iam_user", IAMAuth: true, TLS: configtls.ClientConfig{}}}
	p, err := openPool(target, poolOptions{creds: countingCreds(&n), logger: zap.NewNop(), tel: newTelemetry(nil)}, time.Minute)
	require.NoError(t, err)
	defer p.db.Close()
	for i := range 3 {
		require.Error(t, p.db.PingContext(context.Background()))
		assert.GreaterOrEqual(t, n.Load(), int64(i+1))
	}
}

func TestTLSClientConfig(t *testing.T) {
	srv := startFakePostgres(t)
	cfg, err := tlsClientConfig(tlsWithCA(srv.caFile, ""), "db.internal")
	require.NoError(t, err)
	assert.Equal(t, "db.internal", cfg.ServerName)
	assert.NotNil(t, cfg.RootCAs)
	assert.False(t, cfg.InsecureSkipVerify)
	assert.GreaterOrEqual(t, cfg.MinVersion, uint16(tls.VersionTLS12))

	cfg, err = tlsClientConfig(configtls.ClientConfig{ServerName: "other", InsecureSkipVerify: true}, "db.internal")
	require.NoError(t, err)
	assert.Equal(t, "other", cfg.ServerName)
	assert.True(t, cfg.InsecureSkipVerify)

	cfg, err = tlsClientConfig(configtls.ClientConfig{}, "db.internal")
	require.NoError(t, err)
	require.NotNil(t, cfg, "TLS is on by default")
	assert.Nil(t, cfg.RootCAs, "the system's roots")
	assert.Equal(t, "db.internal", cfg.ServerName)

	cfg, err = tlsClientConfig(configtls.ClientConfig{Insecure: true}, "db.internal")
	require.NoError(t, err)
	assert.Nil(t, cfg, "plaintext when asked for")

	// The wrong server name fails verification.
	target := &Target{Name: "tls", Engine: "postgresql", Host: "127.0.0.1", Port: srv.port, Static: true,
		Credentials: Credentials{Username: "u", Password: "p", TLS: tlsWithCA(srv.caFile, "wrong.test")}}
	p, err := openPool(target, poolOptions{logger: zap.NewNop(), tel: newTelemetry(nil)}, time.Minute)
	require.NoError(t, err)
	defer p.db.Close()
	assert.ErrorContains(t, p.db.PingContext(context.Background()), "certificate")
}

type fakeLogin struct {
	params   map[string]string
	password string
}

type fakePostgres struct {
	port   int
	caFile string
	mu     sync.Mutex
	seen   []fakeLogin
}

func (f *fakePostgres) logins() []fakeLogin {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeLogin(nil), f.seen...)
}

// startFakePostgres serves the PostgreSQL protocol up to the password, over TLS with a
// certificate for db.test, and rejects every login.
func startFakePostgres(t *testing.T) *fakePostgres {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "db.test"}, DNSNames: []string{"db.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	f := &fakePostgres{caFile: filepath.Join(t.TempDir(), "ca.pem")}
	require.NoError(t, os.WriteFile(f.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	f.port = l.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f.serve(c, tlsCfg)
		}
	}()
	return f
}

func (f *fakePostgres) serve(raw net.Conn, tlsCfg *tls.Config) {
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := readStartup(raw); err != nil { // SSLRequest
		return
	}
	if _, err := raw.Write([]byte{'S'}); err != nil {
		return
	}
	conn := tls.Server(raw, tlsCfg)
	r := bufio.NewReader(conn)
	body, err := readStartup(r)
	if err != nil || len(body) < 4 {
		return
	}
	params := map[string]string{}
	kv := strings.Split(strings.TrimRight(string(body[4:]), "\x00"), "\x00")
	for i := 0; i+1 < len(kv); i += 2 {
		params[kv[i]] = kv[i+1]
	}
	// AuthenticationCleartextPassword, as RDS asks of IAM users.
	if _, err := conn.Write([]byte{'R', 0, 0, 0, 8, 0, 0, 0, 3}); err != nil {
		return
	}
	typ, err := r.ReadByte()
	if err != nil || typ != 'p' {
		return
	}
	msg, err := readStartup(r)
	if err != nil {
		return
	}
	f.mu.Lock()
	f.seen = append(f.seen, fakeLogin{params: params, password: strings.TrimRight(string(msg), "\x00")})
	f.mu.Unlock()
	fields := "SFATAL\x00C28P01\x00Mtoken rejected by the fake server\x00\x00"
	out := append([]byte{'E'}, binary.BigEndian.AppendUint32(nil, uint32(4+len(fields)))...)
	_, _ = conn.Write(append(out, fields...))
}

// readStartup reads a length-prefixed message and returns what follows the length.
func readStartup(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(n[:])-4)
	_, err := io.ReadFull(r, body)
	return body, err
}

// tlsWithCA verifies the server against the CAs of caFile, for serverName (empty: the host).
func tlsWithCA(caFile, serverName string) configtls.ClientConfig {
	return configtls.ClientConfig{Config: configtls.Config{CAFile: caFile}, ServerName: serverName}
}
