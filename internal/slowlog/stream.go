package slowlog

import (
	"strings"
	"time"
)

// Event is one CloudWatch Logs event of a stream.
type Event struct {
	Timestamp time.Time
	Ingested  time.Time
	Message   string
}

// Stream reassembles the entries of one log stream from its events, read after read. A
// MySQL entry whose end has not arrived yet is held until the next read (once: then it
// is returned as it is).
type Stream struct {
	dialect Dialect
	pending []line // the unfinished last entry of the previous read
}

type line struct {
	text string
	ev   *Event
}

// NewStream returns a Stream of a log in dialect's format.
func NewStream(d Dialect) *Stream { return &Stream{dialect: d} }

// Read returns the entries that events complete, in order.
func (s *Stream) Read(events []Event) []Entry {
	if s.dialect == PostgreSQL {
		return s.readPostgres(events)
	}
	lines, old := s.pending, len(s.pending)
	s.pending = nil
	for i := range events {
		ev := &events[i]
		for _, l := range strings.Split(strings.TrimRight(ev.Message, "\n"), "\n") {
			lines = append(lines, line{l, ev})
		}
	}
	var out []Entry
	chunk := 0
	for i := 1; i <= len(lines); i++ {
		if i < len(lines) && !boundary(lines, chunk, i) {
			continue
		}
		c := lines[chunk:i]
		chunk = i
		// An unfinished last entry waits for the next read, once.
		if i == len(lines) && i-len(c) >= old && isMySQLStart(c[0].text) && !mysqlComplete(texts(c)) {
			s.pending = append([]line(nil), c...)
			break
		}
		out = append(out, s.entry(c))
	}
	return out
}

// Flush returns the held unfinished entry, if any.
func (s *Stream) Flush() []Entry {
	if len(s.pending) == 0 {
		return nil
	}
	e := s.entry(s.pending)
	s.pending = nil
	return []Entry{e}
}

func texts(ls []line) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.text
	}
	return out
}

func (s *Stream) entry(ls []line) Entry {
	t := texts(ls)
	e := Entry{Raw: strings.Join(t, "\n"), EventTime: ls[0].ev.Timestamp, Ingested: ls[len(ls)-1].ev.Ingested}
	var ok bool
	if s.dialect == MySQL {
		ok = isMySQLStart(t[0]) && parseMySQL(t, &e)
		e.Malformed = !ok
	} else {
		ok = parsePostgres(t, &e)
		// Lines of other formats (another log_line_prefix) are not slow entries; a
		// duration that does not parse is.
		e.Malformed = !ok && strings.Contains(t[0], "duration: ")
	}
	if !ok {
		raw, evt, ing, bad, lvl := e.Raw, e.EventTime, e.Ingested, e.Malformed, e.Level
		e = Entry{Raw: raw, EventTime: evt, Ingested: ing, Malformed: bad, Level: lvl}
		return e
	}
	e.Slow = true
	if e.Time.IsZero() {
		e.Time = e.EventTime
	}
	return e
}

// readPostgres reads each event alone: RDS publishes a PostgreSQL message with its
// continuation lines as one event. An event holding several messages is split when one
// of them is a duration; otherwise it stays one record, as it was published.
func (s *Stream) readPostgres(events []Event) []Entry {
	var out []Entry
	for i := range events {
		ev := &events[i]
		var lines []line
		for _, l := range strings.Split(strings.TrimRight(ev.Message, "\n"), "\n") {
			lines = append(lines, line{l, ev})
		}
		var split []Entry
		slow, chunk := false, 0
		for j := 1; j <= len(lines); j++ {
			if j < len(lines) && !isPostgresStart(lines[j].text) {
				continue
			}
			e := s.entry(lines[chunk:j])
			chunk = j
			slow = slow || e.Slow
			split = append(split, e)
		}
		if !slow {
			split = []Entry{{Raw: ev.Message, EventTime: ev.Timestamp, Ingested: ev.Ingested, Malformed: split[0].Malformed, Level: split[0].Level}}
		}
		out = append(out, split...)
	}
	return out
}

// Pending reports whether an unfinished entry waits for the next read.
func (s *Stream) Pending() bool { return len(s.pending) > 0 }

// boundary reports whether lines[i] starts a new chunk after lines[chunk:i]: an entry's
// first line (# User@Host: after # Time: belongs to its entry), or the first line of an
// event after a complete entry (text that is no entry, such as the header MySQL writes
// when it opens the file, stays apart from the entries around it).
func boundary(lines []line, chunk, i int) bool {
	if isMySQLStart(lines[i].text) {
		return !strings.HasPrefix(lines[i-1].text, "# Time: ")
	}
	return lines[i].ev != lines[i-1].ev && mysqlComplete(texts(lines[chunk:i]))
}
