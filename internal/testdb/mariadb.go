package testdb

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

const (
	mariadbd         = "/usr/sbin/mariadbd"
	mariadbInstallDB = "/usr/bin/mariadb-install-db"
	myPrintDefaults  = "/usr/bin/my_print_defaults" // mariadb-install-db needs it (mariadb-client-core)
)

// StartMariaDB starts a fresh MariaDB server for this test; it is stopped
// and its data removed at t's cleanup.
func StartMariaDB(t testing.TB) *Server {
	t.Helper()
	return startOwn(t, func() (*Server, error) { return launchMariaDB(nil) })
}

// StartMariaDBTLS is StartMariaDB with TLS on (plaintext is still accepted), with a
// certificate for 127.0.0.1 signed by ca.
func StartMariaDBTLS(t testing.TB, ca *CA) *Server {
	t.Helper()
	return startOwn(t, func() (*Server, error) { return launchMariaDB(ca) })
}

// StartMariaDBWith is StartMariaDB with more server options, which win over the
// defaults (e.g. --performance-schema=OFF).
func StartMariaDBWith(t testing.TB, options ...string) *Server {
	t.Helper()
	return startOwn(t, func() (*Server, error) { return launchMariaDB(nil, options...) })
}

func launchMariaDB(ca *CA, options ...string) (*Server, error) {
	for _, bin := range []string{mariadbd, mariadbInstallDB, myPrintDefaults} {
		if _, err := os.Stat(bin); err != nil {
			return nil, &unavailableError{fmt.Sprintf("testdb: mariadb unavailable: %v (install Debian packages mariadb-server-core and mariadb-client-core)", err)}
		}
	}
	fl := flavor{
		driver:     "mysql",
		logFile:    "mariadb.log",
		stopSignal: syscall.SIGTERM,
		command: func(s *Server) *exec.Cmd {
			cmd := mariadbCommand(s)
			cmd.Args = append(cmd.Args, options...)
			return cmd
		},
		adminDSN: mariadbAdminDSN,
		ready:    "mysql",
	}
	return launch("mariadb", fl, ca, mariadbInit, mariadbSetup)
}

// mariadbOptions are shared by the bootstrap and the server so both agree on
// the InnoDB layout. They keep memory and disk small: dozens of servers may
// run at once. Native AIO is off because containers often cap aio-max-nr.
func mariadbOptions(s *Server) []string {
	opts := []string{
		"--no-defaults", // must come first
		"--datadir=" + s.path("data"),
		"--tmpdir=" + s.dir,
		"--innodb-buffer-pool-size=16M",
		"--innodb-log-file-size=16M",
		"--innodb-temp-data-file-path=ibtmp1:1M:autoextend",
		"--innodb-use-native-aio=0",
		"--skip-name-resolve",
	}
	if os.Geteuid() == 0 {
		opts = append(opts, "--user=root") // mariadbd refuses to run as root unless told to
	}
	return opts
}

func mariadbInit(s *Server) error {
	args := append(mariadbOptions(s),
		"--auth-root-authentication-method=normal", // root@localhost without a password, over our socket only
		"--skip-test-db",
	)
	cmd := exec.Command(mariadbInstallDB, args...)
	cmd.Dir, cmd.Env, cmd.SysProcAttr = s.dir, s.baseEnv(), sysProcAttr(nil)
	if err := s.run(cmd, "mariadb-install-db.log"); err != nil {
		return err
	}
	if s.CA != nil {
		return s.writeTLSFiles(-1, -1)
	}
	return nil
}

func mariadbCommand(s *Server) *exec.Cmd {
	args := append(mariadbOptions(s),
		fmt.Sprintf("--port=%d", s.Port),
		"--bind-address="+host,
		"--socket="+s.path("mysqld.sock"),
		"--pid-file="+s.path("mariadbd.pid"),
		"--log-error="+s.path("mariadb.log"),
		"--skip-log-bin",
		"--innodb-flush-log-at-trx-commit=0", // test data needs no durability
		"--innodb-doublewrite=0",
		"--performance-schema=ON",
		"--max-connections=50",
	)
	if s.CA != nil {
		args = append(args, "--ssl-cert="+s.path(tlsCertFile), "--ssl-key="+s.path(tlsKeyFile), "--ssl-ca="+s.path(tlsCAFile))
	}
	cmd := exec.Command(mariadbd, args...)
	cmd.Dir, cmd.Env, cmd.SysProcAttr = s.dir, s.baseEnv(), sysProcAttr(nil)
	return cmd
}

func mariadbAdminDSN(s *Server, db string) string {
	return fmt.Sprintf("root@unix(%s)/%s?parseTime=true&timeout=5s", s.path("mysqld.sock"), db)
}

// mariadbSetup creates the test database and the unprivileged user, and
// leaves root reachable only over the private socket, as PostgreSQL's
// superuser is. PROCESS
// lets otel see every session in information_schema.processlist; its write
// grant on scratch lets a test prove that a read-only session refuses writes.
func mariadbSetup(s *Server) error {
	u := fmt.Sprintf("'%s'@'%%'", s.User)
	return s.exec("mysql",
		"DELETE FROM global_priv WHERE User = 'root' AND Host <> 'localhost'",
		"FLUSH PRIVILEGES",
		"CREATE DATABASE "+s.Database,
		fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", u, s.Password),
		fmt.Sprintf("GRANT SELECT ON %s.* TO %s", s.Database, u),
		"GRANT PROCESS ON *.* TO "+u,
		fmt.Sprintf("CREATE TABLE %s.scratch (id int)", s.Database),
		fmt.Sprintf("GRANT INSERT, UPDATE, DELETE ON %s.scratch TO %s", s.Database, u),
	)
}
