package simulator

import (
	"sync"
	"time"
)

// logTexts are messages a test put in place of generated ones, so that the receiver
// reads text a real server wrote.
type logTexts struct {
	mu sync.RWMutex
	m  map[logTextKey]string
}

type logTextKey struct {
	group, stream string
	slot          int64
}

// SetLogMessages makes the events of stream in group from time from on carry messages,
// one event each, 10 s apart (events keep their times, IDs and ingestion; only their
// text changes). A test ships through CloudWatch Logs what a real server logged.
func (s *Server) SetLogMessages(group, stream string, from time.Time, messages []string) {
	s.logText.mu.Lock()
	defer s.logText.mu.Unlock()
	if s.logText.m == nil {
		s.logText.m = map[logTextKey]string{}
	}
	first := ceilDiv(from.UnixNano(), int64(logSlot))
	for i, m := range messages {
		s.logText.m[logTextKey{group, stream, first + int64(i)}] = m
	}
}

func (t *logTexts) get(group, stream string, slot int64) (string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	m, ok := t.m[logTextKey{group, stream, slot}]
	return m, ok
}
