package rdslogs

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
)

type level struct {
	token  string
	number plog.SeverityNumber
	text   string
}

// MySQL and MariaDB error logs: "... [Warning] [MY-010068] [Server] ...", "... [ERROR] ...".
var mysqlLevels = []level{
	{"[ERROR]", plog.SeverityNumberError, "ERROR"},
	{"[Warning]", plog.SeverityNumberWarn, "WARNING"},
	{"[Note]", plog.SeverityNumberInfo, "NOTE"},
	{"[System]", plog.SeverityNumberInfo, "SYSTEM"},
}

// PostgreSQL with RDS's log_line_prefix "%t:%r:%u@%d:[%p]:": "...:[4242]:ERROR:  ...".
var postgresLevels = []level{
	{":PANIC:", plog.SeverityNumberFatal2, "PANIC"},
	{":FATAL:", plog.SeverityNumberFatal, "FATAL"},
	{":ERROR:", plog.SeverityNumberError, "ERROR"},
	{":WARNING:", plog.SeverityNumberWarn, "WARNING"},
	{":NOTICE:", plog.SeverityNumberInfo2, "NOTICE"},
	{":INFO:", plog.SeverityNumberInfo, "INFO"},
	{":LOG:", plog.SeverityNumberInfo, "LOG"},
	{":DETAIL:", plog.SeverityNumberInfo, "DETAIL"},
	{":HINT:", plog.SeverityNumberInfo, "HINT"},
	{":STATEMENT:", plog.SeverityNumberInfo, "STATEMENT"},
	{":DEBUG", plog.SeverityNumberDebug, "DEBUG"},
}

// headLen bounds the search to the line prefix: a query text further on may contain the tokens.
const headLen = 160

// Severity reads the level an error or PostgreSQL log line starts with. Slow query,
// general and audit logs have none: they are unspecified.
func Severity(logType, message string) (plog.SeverityNumber, string) {
	var levels []level
	switch logType {
	case "error":
		levels = mysqlLevels
	case "postgresql", "upgrade":
		levels = postgresLevels
	default:
		return plog.SeverityNumberUnspecified, ""
	}
	head := message[:min(len(message), headLen)]
	best, at := -1, len(head)
	for i, l := range levels {
		if j := strings.Index(head, l.token); j >= 0 && j < at {
			best, at = i, j
		}
	}
	if best < 0 {
		return plog.SeverityNumberUnspecified, ""
	}
	return levels[best].number, levels[best].text
}
