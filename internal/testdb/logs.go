package testdb

// LogFile is the path of the server's own log: PostgreSQL's stderr (where
// log_statement, log_min_duration_statement and auto_explain write), MariaDB's error log.
// Tests read it to ship what the real server wrote.
func (s *Server) LogFile() string { return s.path(s.flavor.logFile) }

// Dir is the server's private directory, where a test may point a server's
// other logs (MariaDB's slow_query_log_file).
func (s *Server) Dir() string { return s.dir }
