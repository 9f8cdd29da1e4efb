package simulator

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// DB instance statuses and whether RDS publishes CloudWatch data in them.
//
// Source: the table of "Viewing Amazon RDS DB instance status" in the Amazon RDS User
// Guide (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html,
// section Overview.DBInstance.Status), which lists every DBInstanceStatus value with its
// billing: "Billed" (instance hours and storage), "Billed for storage" or "Not billed".
// The page does not say which statuses publish metrics. The simulator's rule: AWS/RDS
// instance metrics come from the DB host, and RDS bills instance hours exactly while that
// host runs, so a status publishes metrics if and only if it is "Billed". The statuses
// billed for storage only (stopping, stopped, starting,
// inaccessible-encryption-credentials-recoverable), the ones not billed (creating,
// deleting, failed, inaccessible-encryption-credentials, incompatible-create,
// incompatible-network, incompatible-restore) and insufficient-capacity (no billing
// given: no instance could be placed) publish nothing. Unknown statuses are rejected, so
// that a typo in a test cannot pass for a running instance.
var instanceStatuses = map[string]bool{
	// Billed: the DB host runs and publishes.
	"available":                       true,
	"backing-up":                      true,
	"configuring-enhanced-monitoring": true,
	"configuring-iam-database-auth":   true,
	"configuring-log-exports":         true,
	"converting-to-vpc":               true,
	"delete-precheck":                 true,
	"incompatible-option-group":       true,
	"incompatible-parameters":         true,
	"maintenance":                     true,
	"modifying":                       true,
	"moving-to-vpc":                   true,
	"rebooting":                       true,
	"renaming":                        true,
	"resetting-master-credentials":    true,
	"restore-error":                   true,
	"storage-config-upgrade":          true,
	"storage-full":                    true,
	"storage-initialization":          true,
	"storage-optimization":            true,
	"upgrading":                       true,
	// Billed for storage only: the host is not running.
	"starting": false,
	"stopped":  false,
	"stopping": false,
	"inaccessible-encryption-credentials-recoverable": false,
	// Not billed: no host, or a host RDS has given up on.
	"creating":                            false,
	"deleting":                            false,
	"failed":                              false,
	"inaccessible-encryption-credentials": false,
	"incompatible-create":                 false,
	"incompatible-network":                false,
	"incompatible-restore":                false,
	// No billing given: RDS could not place the instance.
	"insufficient-capacity": false,
}

// PublishesMetrics reports whether RDS publishes AWS/RDS CloudWatch data for a DB
// instance in this DBInstanceStatus (see instanceStatuses for the source and the rule).
// It is false for statuses it does not know.
func PublishesMetrics(status string) bool { return instanceStatuses[status] }

// KnownStatus reports whether status is a DBInstanceStatus of the RDS User Guide.
func KnownStatus(status string) bool {
	_, ok := instanceStatuses[status]
	return ok
}

// InstanceStatuses lists every known DBInstanceStatus, sorted.
func InstanceStatuses() []string {
	out := make([]string, 0, len(instanceStatuses))
	for s := range instanceStatuses {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// StatusChange is one entry of an instance's status history: Status holds from Since
// (zero: from the beginning) until the next change.
type StatusChange struct {
	Status string    `json:"status"`
	Since  time.Time `json:"since,omitzero"`
}

// timeline is the status history of one instance, oldest first; the first entry has a
// zero Since.
type timeline []StatusChange

// publishing reports whether the instance published at some instant of [from, to)
// (Unix seconds).
func (tl timeline) publishing(from, to int64) bool {
	start, end := time.Unix(from, 0), time.Unix(to, 0)
	// i is the last change at or before start (the first entry holds from the beginning).
	i := max(sort.Search(len(tl), func(k int) bool { return k > 0 && tl[k].Since.After(start) })-1, 0)
	for ; i < len(tl); i++ {
		if i > 0 && !tl[i].Since.Before(end) {
			break
		}
		if PublishesMetrics(tl[i].Status) {
			return true
		}
	}
	return false
}

// hasMinute reports whether minute m (Unix minutes) has data; a nil timeline always has.
func (tl timeline) hasMinute(m int64) bool {
	return tl == nil || tl.publishing(m*60, m*60+60)
}

// lifecycles holds every instance's status history; SetFleet and SetInstanceStatus
// write it, the CloudWatch evaluator and DescribeDBInstances read it.
type lifecycles struct {
	mu sync.RWMutex
	by map[string]timeline
}

func initialTimeline(in *Instance) timeline {
	if in.StatusSince.IsZero() || in.Status == "available" {
		return timeline{{Status: in.Status}}
	}
	return timeline{{Status: "available"}, {Status: in.Status, Since: in.StatusSince}}
}

// sync follows a new fleet: instances that stay keep their history (a changed status
// is recorded at its status_since if that is later than the last change, else at now),
// new ones start from their fleet entry, removed ones are forgotten.
func (l *lifecycles) sync(instances []Instance, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	next := make(map[string]timeline, len(instances))
	for i := range instances {
		in := &instances[i]
		tl, ok := l.by[in.Identifier]
		switch {
		case !ok:
			tl = initialTimeline(in)
		case tl[len(tl)-1].Status != in.Status:
			at := now
			if last := tl[len(tl)-1].Since; in.StatusSince.After(last) {
				at = in.StatusSince
			}
			tl = append(slices.Clip(tl), StatusChange{Status: in.Status, Since: at})
		}
		next[in.Identifier] = tl
	}
	l.by = next
}

// gate is the timeline to filter an instance's minutes with, or nil when the instance
// published throughout (the fast path).
func (l *lifecycles) gate(identifier string) timeline {
	l.mu.RLock()
	defer l.mu.RUnlock()
	tl := l.by[identifier]
	if tl == nil || len(tl) == 1 && PublishesMetrics(tl[0].Status) {
		return nil
	}
	return tl
}

func (l *lifecycles) current(identifier string) (StatusChange, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	tl := l.by[identifier]
	if len(tl) == 0 {
		return StatusChange{}, false
	}
	return tl[len(tl)-1], true
}

// SetInstanceStatus changes the DBInstanceStatus of an instance at the simulator's
// current time (Config.Now) and records the change: from then on DescribeDBInstances
// reports status, and CloudWatch has no data for the minutes the instance spends in
// statuses where PublishesMetrics is false. A minute has data if the instance was in a
// publishing status at any instant of it. Values stay a function of (series, minute), so
// data resumes, unchanged, when the instance is available again. It returns the
// recorded change; setting the current status again records nothing.
func (s *Server) SetInstanceStatus(identifier, status string) (StatusChange, error) {
	if !KnownStatus(status) {
		return StatusChange{}, fmt.Errorf("unknown DB instance status %q (known: %v)", status, InstanceStatuses())
	}
	if s.current().instances[identifier] == nil {
		return StatusChange{}, fmt.Errorf("DB instance %q not found", identifier)
	}
	now := s.now()
	l := s.life
	l.mu.Lock()
	defer l.mu.Unlock()
	tl := l.by[identifier]
	if len(tl) == 0 { // removed by a concurrent SetFleet
		return StatusChange{}, fmt.Errorf("DB instance %q not found", identifier)
	}
	last := tl[len(tl)-1]
	if last.Status == status {
		return last, nil
	}
	change := StatusChange{Status: status, Since: now}
	if now.Before(last.Since) {
		change.Since = last.Since // a clock that went back: keep the history ordered
	}
	l.by[identifier] = append(slices.Clip(tl), change)
	return change, nil
}

// StatusHistory returns the recorded status history of an instance, oldest first (the
// first entry has a zero Since); nil for an unknown instance.
func (s *Server) StatusHistory(identifier string) []StatusChange {
	s.life.mu.RLock()
	defer s.life.mu.RUnlock()
	return slices.Clone(s.life.by[identifier])
}

// StatusHistories returns the status history of every instance.
func (s *Server) StatusHistories() map[string][]StatusChange {
	s.life.mu.RLock()
	defer s.life.mu.RUnlock()
	out := make(map[string][]StatusChange, len(s.life.by))
	for id, tl := range s.life.by {
		out[id] = slices.Clone(tl)
	}
	return out
}

// Publishing reports whether the instance published CloudWatch data at some instant of
// [from, to), according to its status history; false for an unknown instance.
func (s *Server) Publishing(identifier string, from, to time.Time) bool {
	s.life.mu.RLock()
	defer s.life.mu.RUnlock()
	tl := s.life.by[identifier]
	return tl != nil && tl.publishing(from.Unix(), to.Unix())
}
