// Package slowlog parses the slow query entries of RDS logs as CloudWatch Logs delivers
// them: MySQL, MariaDB and Aurora MySQL slow query logs (the slowquery log type) and
// PostgreSQL log_min_duration_statement and auto_explain lines (the postgresql log type,
// with RDS's log_line_prefix %t:%r:%u@%d:[%p]:), and normalizes their statements into a
// fingerprint.
//
// CloudWatch Logs may split one multi-line entry over several events or put several
// entries in one event; a Stream reassembles them. Text that is not a well-formed entry
// is returned raw, marked Malformed, never dropped.
package slowlog

import "time"

// Dialect is the SQL dialect of a statement and the format of its log.
type Dialect uint8

const (
	MySQL      Dialect = iota // MySQL, MariaDB, Aurora MySQL
	PostgreSQL                // PostgreSQL, Aurora PostgreSQL
)

// Entry is one slow statement, or one piece of text that is none.
type Entry struct {
	// Raw is the entry's text as logged (events joined by newlines).
	Raw string
	// Slow is true for a parsed slow statement; the fields below are set only then.
	Slow bool
	// Malformed is true for text of a slow query log that is no well-formed entry. In a
	// PostgreSQL log, lines other than durations are neither Slow nor Malformed.
	Malformed bool
	// EventTime is the timestamp of the first CloudWatch event of the entry; Ingested
	// the ingestion time of its last.
	EventTime, Ingested time.Time

	Time          time.Time // when the statement was logged, from the entry; else EventTime
	Duration      float64   // seconds
	LockTime      float64   // seconds; MySQL only
	User          string
	ClientAddress string
	ClientPort    int
	Database      string
	ThreadID      int64 // MySQL connection (thread) id
	PID           int64 // PostgreSQL backend process id
	Statement     string
	// Phase is a PostgreSQL extended-protocol step (parse, bind, execute) when the
	// duration is of one; "" for a whole statement.
	Phase string
	// Plan is auto_explain's plan, when the entry is one.
	Plan string
	// Counters are the numeric fields of a MySQL entry by name (Rows_sent,
	// Rows_examined, Rows_affected, Bytes_sent, ...); those absent are missing.
	Counters map[string]float64
	// Level is the PostgreSQL message level (LOG, ERROR, ...).
	Level string
}
