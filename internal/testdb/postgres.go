package testdb

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// pgHBA makes otel prove its password over TCP, as on RDS, while the
// superuser needs none on the private unix socket.
const pgHBA = `local all all trust
host all all 127.0.0.1/32 scram-sha-256
`

// StartPostgres starts a fresh PostgreSQL server for this test; it is
// stopped and its data removed at t's cleanup.
func StartPostgres(t testing.TB) *Server {
	t.Helper()
	return startOwn(t, func() (*Server, error) { return launchPostgres(nil) })
}

// StartPostgresTLS is StartPostgres with TLS on (plaintext is still accepted), with a
// certificate for 127.0.0.1 signed by ca.
func StartPostgresTLS(t testing.TB, ca *CA) *Server {
	t.Helper()
	return startOwn(t, func() (*Server, error) { return launchPostgres(ca) })
}

func launchPostgres(ca *CA) (*Server, error) {
	bin, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	// PostgreSQL refuses to run as root, so root runs it as the postgres user.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		if cred, err = systemUser("postgres"); err != nil {
			return nil, err
		}
	}
	fl := flavor{
		driver:     "pgx",
		logFile:    "postgres.log",
		stopSignal: syscall.SIGINT, // fast shutdown: SIGTERM would wait for clients to leave
		command:    func(s *Server) *exec.Cmd { return postgresCommand(s, bin, cred) },
		adminDSN:   postgresAdminDSN,
		ready:      "postgres",
	}
	return launch("postgresql", fl, ca, func(s *Server) error { return postgresInit(s, bin, cred) }, postgresSetup)
}

// postgresBinDir finds the newest installed /usr/lib/postgresql/<ver>/bin.
func postgresBinDir() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	var best string
	bestVer := -1
	for _, m := range matches {
		dir := filepath.Dir(m)
		ver, err := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil && ver > bestVer {
			best, bestVer = dir, ver
		}
	}
	if best == "" {
		return "", &unavailableError{fmt.Sprintf("testdb: postgresql unavailable: no /usr/lib/postgresql/<version>/bin/{postgres,initdb} (found %q; install Debian package postgresql-15)", matches)}
	}
	return best, nil
}

func systemUser(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, &unavailableError{fmt.Sprintf("testdb: postgresql unavailable: running as root needs system user %q: %v", name, err)}
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("testdb: user %q: bad uid %q or gid %q", name, u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func postgresInit(s *Server, bin string, cred *syscall.Credential) error {
	if cred != nil {
		// The server user must create the data dir and the socket in s.dir.
		if err := os.Chown(s.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("testdb: postgresql: %w", err)
		}
	}
	cmd := exec.Command(filepath.Join(bin, "initdb"),
		"-D", s.path("data"),
		"-U", "postgres",
		"-A", "trust",
		"-E", "UTF8",
		"--locale=C", // needs no generated locales
		"--no-sync",
		"--no-instructions",
	)
	cmd.Dir, cmd.Env, cmd.SysProcAttr = s.dir, s.baseEnv(), sysProcAttr(cred)
	if err := s.run(cmd, "initdb.log"); err != nil {
		return err
	}
	// Overwriting keeps the file's owner and mode.
	if err := os.WriteFile(s.path("data/pg_hba.conf"), []byte(pgHBA), 0o600); err != nil {
		return fmt.Errorf("testdb: postgresql: %w", err)
	}
	if s.CA != nil {
		uid, gid := -1, -1
		if cred != nil {
			uid, gid = int(cred.Uid), int(cred.Gid)
		}
		return s.writeTLSFiles(uid, gid)
	}
	return nil
}

func postgresCommand(s *Server, bin string, cred *syscall.Credential) *exec.Cmd {
	cmd := exec.Command(filepath.Join(bin, "postgres"),
		"-D", s.path("data"),
		"-c", "listen_addresses="+host,
		"-c", fmt.Sprintf("port=%d", s.Port),
		"-c", "unix_socket_directories="+s.dir,
		"-c", "fsync=off", // test data needs no durability
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "shared_buffers=16MB",
		"-c", "max_connections=50",
		"-c", "huge_pages=off",
		"-c", "logging_collector=off",
		// Loaded by every server, as on RDS where it is in the default parameter group;
		// tests that need its view create the extension.
		"-c", "shared_preload_libraries=pg_stat_statements,auto_explain", // auto_explain logs nothing until told to
		"-c", "pg_stat_statements.max=12000",
	)
	if s.CA != nil {
		cmd.Args = append(cmd.Args, "-c", "ssl=on", "-c", "ssl_cert_file="+s.path(tlsCertFile), "-c", "ssl_key_file="+s.path(tlsKeyFile))
	}
	cmd.Dir, cmd.Env, cmd.SysProcAttr = s.dir, s.baseEnv(), sysProcAttr(cred)
	return cmd
}

func postgresAdminDSN(s *Server, db string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable connect_timeout=5", s.dir, s.Port, db)
}

// postgresSetup creates the test database and the unprivileged user.
// pg_read_all_stats lets otel see every session in pg_stat_activity; its
// write grant on scratch lets a test prove that a read-only session refuses
// writes. Default privileges extend SELECT to tables that tests create later.
func postgresSetup(s *Server) error {
	if err := s.exec("postgres",
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", s.User, s.Password),
		"GRANT pg_read_all_stats TO "+s.User,
		"CREATE DATABASE "+s.Database,
	); err != nil {
		return err
	}
	return s.exec(s.Database,
		"CREATE TABLE scratch (id int)",
		"GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+s.User,
		"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO "+s.User,
		"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO "+s.User,
		"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON SEQUENCES TO "+s.User,
		"GRANT INSERT, UPDATE, DELETE ON scratch TO "+s.User,
	)
}
