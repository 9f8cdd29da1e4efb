package testdb

import (
	"errors"
	"os"
)

// LaunchPostgres starts a fresh PostgreSQL server outside of a test (rdsbench), as
// StartPostgres does; Close stops it and removes its data.
func LaunchPostgres() (*Server, error) { return launchPostgres(nil) }

// Close stops a server started by LaunchPostgres and removes its directory.
func (s *Server) Close() error { return errors.Join(s.stop(), os.RemoveAll(s.dir)) }
