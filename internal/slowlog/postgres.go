package slowlog

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// pgPrefixRE matches RDS's log_line_prefix %t:%r:%u@%d:[%p]: and the level:
// "2024-01-15 10:23:45 UTC:10.0.1.23(54321):app_rw@app:[12345]:LOG:  ". %r is
// host(port), [local] or empty; a host may be an IPv6 address, with colons.
var pgPrefixRE = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) ([A-Za-z]+|[+-]\d\d(?::?\d\d)?):(.*?):([^:@]*)@([^:]*):\[(\d+)\]:([A-Z0-9]+):  ?`)

// "duration: 1234.567 ms  statement: ..." / "execute <unnamed>: ..." / "plan:\n..."
var pgDurationRE = regexp.MustCompile(`^duration: (\d+(?:\.\d+)?) ms(?:  (statement|execute|parse|bind)(?: ([^:]*))?: |  (plan):)?`)

var pgRemoteRE = regexp.MustCompile(`^(.*)\((\d+)\)$`)

// planStartRE is the first line of an auto_explain text plan: a node with its costs or
// timings.
var planStartRE = regexp.MustCompile(`^\s*(->\s+)?[A-Z][A-Za-z ]+.*\((cost|actual time)=`)

func isPostgresStart(line string) bool { return pgPrefixRE.MatchString(line) }

// parsePostgres parses one record (a prefixed line and its continuation lines). ok is
// false for records that are not durations.
func parsePostgres(lines []string, e *Entry) bool {
	m := pgPrefixRE.FindStringSubmatch(lines[0])
	if m == nil {
		return false
	}
	e.Level = m[7]
	rest := lines[0][len(m[0]):]
	d := pgDurationRE.FindStringSubmatch(rest)
	if d == nil || m[7] != "LOG" {
		return false
	}
	layout := "2006-01-02 15:04:05 MST"
	if strings.Contains(m[1], ".") {
		layout = "2006-01-02 15:04:05.999999 MST"
	}
	if t, err := time.Parse(layout, m[1]+" "+m[2]); err == nil {
		e.Time = t.UTC()
	}
	if r := pgRemoteRE.FindStringSubmatch(m[3]); r != nil {
		e.ClientAddress = r[1]
		e.ClientPort, _ = strconv.Atoi(r[2])
	} else if m[3] != "" {
		e.ClientAddress = m[3] // [local]
	}
	e.User, e.Database = m[4], m[5]
	e.PID, _ = strconv.ParseInt(m[6], 10, 64)
	ms, _ := strconv.ParseFloat(d[1], 64)
	e.Duration = ms / 1000
	// Continuation lines of a multi-line message start with a tab.
	cont := make([]string, 0, len(lines))
	first := rest[len(d[0]):]
	cont = append(cont, first)
	for _, l := range lines[1:] {
		cont = append(cont, strings.TrimPrefix(l, "\t"))
	}
	switch {
	case d[4] == "plan":
		return parsePlan(cont[1:], e)
	case d[2] == "":
		return false // a bare duration (log_duration): no statement to attach it to
	case d[2] != "statement":
		e.Phase = d[2]
	}
	e.Statement = strings.TrimSpace(strings.Join(cont, "\n"))
	return e.Statement != ""
}

// parsePlan reads auto_explain's text output: "Query Text: <sql>" (possibly several
// lines), then the plan.
func parsePlan(lines []string, e *Entry) bool {
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "Query Text: ") {
		return false
	}
	q := []string{strings.TrimPrefix(lines[0], "Query Text: ")}
	i := 1
	for ; i < len(lines) && !planStartRE.MatchString(lines[i]); i++ {
		q = append(q, lines[i])
	}
	e.Statement = strings.TrimSpace(strings.Join(q, "\n"))
	e.Plan = strings.TrimRight(strings.Join(lines[i:], "\n"), "\n ")
	return e.Statement != ""
}
