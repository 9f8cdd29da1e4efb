package sqlquery

import (
	"regexp"
	"strings"
)

// mysqlNear is how MySQL and MariaDB quote the rest of the statement in syntax errors.
var mysqlNear = regexp.MustCompile(`(?s)near '.*' at line`)

// scrubbed is an error whose message has had the SQL text and secrets removed; the
// original stays reachable through Unwrap for errors.Is and errors.As.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// scrub removes from err's message what must never leave the package: the query's
// text (and MySQL's quote of it) and the target's secrets.
func scrub(err error, sqlText string, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	orig := msg
	msg = mysqlNear.ReplaceAllString(msg, "near [query text] at line")
	if s := strings.TrimSpace(sqlText); s != "" {
		msg = strings.ReplaceAll(msg, s, "[query text]")
	}
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	if msg == orig {
		return err
	}
	return &scrubbed{msg: msg, err: err}
}
