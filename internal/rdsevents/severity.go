package rdsevents

import "go.opentelemetry.io/collector/pdata/plog"

// categorySeverity ranks RDS event categories by what they mean for the database's
// availability (RDS User Guide, "Amazon RDS event categories and event messages"): a
// failure or exhausted storage is an error; a failover, restart, shutdown, recovery or
// offline maintenance is a warning; the rest (backup, creation, configuration change,
// notification, ...) is information.
var categorySeverity = map[string]plog.SeverityNumber{
	"failure":         plog.SeverityNumberError,
	"low storage":     plog.SeverityNumberError,
	"failover":        plog.SeverityNumberWarn,
	"global-failover": plog.SeverityNumberWarn,
	"availability":    plog.SeverityNumberWarn,
	"recovery":        plog.SeverityNumberWarn,
	"maintenance":     plog.SeverityNumberWarn,
}

// Severity is the highest severity of an event's categories, INFO if none ranks higher.
func Severity(categories []string) (plog.SeverityNumber, string) {
	sev := plog.SeverityNumberInfo
	for _, c := range categories {
		if s, ok := categorySeverity[c]; ok && s > sev {
			sev = s
		}
	}
	switch sev {
	case plog.SeverityNumberError:
		return sev, "ERROR"
	case plog.SeverityNumberWarn:
		return sev, "WARN"
	}
	return sev, "INFO"
}
