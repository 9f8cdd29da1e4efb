package slowlog

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	// # User@Host: app_rw[app_rw] @  [10.0.1.23]  Id:    42
	// # User@Host: root[root] @ localhost []
	userHostRE = regexp.MustCompile(`^# User@Host: ([^\[]*)\[([^\]]*)\] @ *([^ \[]*) *\[([^\]]*)\](?: +Id: +(\d+))?`)
	// "Name: value" pairs of the other header lines.
	fieldRE = regexp.MustCompile(`([A-Za-z_]+): +(\S+)`)
	setTSRE = regexp.MustCompile(`^SET timestamp=(\d+);$`)
	useRE   = regexp.MustCompile("^use `?([^`;]+)`?;$")
	mysqlTS = "2006-01-02T15:04:05.999999Z07:00" // MySQL 5.7+ # Time:
	// MariaDB and MySQL 5.6 # Time: (the hour is space-padded: "240115  9:05:01"), in the
	// server's time zone, which is UTC on RDS.
	mariaTS = "060102 15:04:05.999999"
)

// isMySQLStart reports whether line starts a slow log entry: a # Time: line, or a
// # User@Host: line (MariaDB omits # Time: for entries in the same second as the previous).
func isMySQLStart(line string) bool {
	return strings.HasPrefix(line, "# Time: ") || strings.HasPrefix(line, "# User@Host: ")
}

// mysqlComplete reports whether the lines of an entry are a whole entry: header, then a
// statement whose last line ends with a semicolon.
func mysqlComplete(lines []string) bool {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimRight(lines[i], " \t\r")
		if l == "" {
			continue
		}
		return !strings.HasPrefix(l, "# ") && strings.HasSuffix(l, ";") && setTSRE.FindString(l) == "" && useRE.FindString(l) == ""
	}
	return false
}

// parseMySQL parses one entry; ok is false when it is not a well-formed one.
func parseMySQL(lines []string, e *Entry) bool {
	i := 0
	var haveQueryTime, haveUser bool
	for ; i < len(lines) && strings.HasPrefix(lines[i], "# "); i++ {
		l := strings.TrimRight(lines[i], " \r")
		switch {
		case strings.HasPrefix(l, "# Time: "):
			v := strings.Join(strings.Fields(l[len("# Time: "):]), " ")
			for _, layout := range []string{mysqlTS, mariaTS} {
				if t, err := time.Parse(layout, v); err == nil {
					e.Time = t
					break
				}
			}
		case strings.HasPrefix(l, "# User@Host: "):
			m := userHostRE.FindStringSubmatch(l)
			if m == nil {
				return false
			}
			haveUser = true
			e.User = strings.TrimSpace(m[1])
			if e.User == "" {
				e.User = m[2]
			}
			e.ClientAddress = m[4]
			if e.ClientAddress == "" {
				e.ClientAddress = m[3]
			}
			if m[5] != "" {
				e.ThreadID, _ = strconv.ParseInt(m[5], 10, 64)
			}
		case strings.HasPrefix(l, "# administrator command:"):
			goto statement // MySQL 5.x logs these in the statement's place
		default:
			for _, m := range fieldRE.FindAllStringSubmatch(l, -1) {
				name, v := m[1], m[2]
				switch name {
				case "Schema":
					e.Database = v
					continue
				case "Thread_id":
					e.ThreadID, _ = strconv.ParseInt(v, 10, 64)
					continue
				case "Query_time":
					haveQueryTime = true
				}
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					continue // QC_hit: No, Full_scan: Yes, ...
				}
				if e.Counters == nil {
					e.Counters = map[string]float64{}
				}
				e.Counters[name] = f
			}
		}
	}
statement:
	if !haveQueryTime || !haveUser {
		return false
	}
	e.Duration = e.Counters["Query_time"]
	e.LockTime = e.Counters["Lock_time"]
	delete(e.Counters, "Query_time")
	delete(e.Counters, "Lock_time")
	// "use db;" and "SET timestamp=...;" precede the statement, one line each.
	for ; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \r")
		if m := useRE.FindStringSubmatch(l); m != nil {
			e.Database = m[1]
			continue
		}
		if m := setTSRE.FindStringSubmatch(l); m != nil {
			if e.Time.IsZero() {
				sec, _ := strconv.ParseInt(m[1], 10, 64)
				e.Time = time.Unix(sec, 0).UTC()
			}
			continue
		}
		break
	}
	stmt := strings.TrimSpace(strings.Join(lines[i:], "\n"))
	stmt = strings.TrimPrefix(stmt, "# ") // administrator command
	if !strings.HasSuffix(stmt, ";") {
		return false
	}
	e.Statement = strings.TrimSpace(strings.TrimSuffix(stmt, ";"))
	return e.Statement != ""
}
