package slowlog

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const mariaEntry = `# Time: 240115  9:05:01
# User@Host: app[app] @  [10.0.0.7]
# Thread_id: 12  Schema: shop  QC_hit: No
# Query_time: 1.500000  Lock_time: 0.000100  Rows_sent: 2  Rows_examined: 40
# Rows_affected: 0  Bytes_sent: 120
SET timestamp=1705309501;
SELECT *
FROM t WHERE a = 'x';`

func events(msgs ...string) []Event {
	out := make([]Event, len(msgs))
	for i, m := range msgs {
		ts := time.Unix(int64(1000+i), 0).UTC()
		out[i] = Event{Timestamp: ts, Ingested: ts.Add(time.Second), Message: m}
	}
	return out
}

func TestMySQLEntry(t *testing.T) {
	got := NewStream(MySQL).Read(events(mariaEntry))
	require.Len(t, got, 1)
	e := got[0]
	assert.True(t, e.Slow)
	assert.Equal(t, time.Date(2024, 1, 15, 9, 5, 1, 0, time.UTC), e.Time, "space-padded hour")
	assert.Equal(t, "app", e.User)
	assert.Equal(t, "10.0.0.7", e.ClientAddress)
	assert.Equal(t, "shop", e.Database)
	assert.EqualValues(t, 12, e.ThreadID)
	assert.Equal(t, 1.5, e.Duration)
	assert.Equal(t, 0.0001, e.LockTime)
	assert.Equal(t, map[string]float64{"Rows_sent": 2, "Rows_examined": 40, "Rows_affected": 0, "Bytes_sent": 120}, e.Counters)
	assert.Equal(t, "SELECT *\nFROM t WHERE a = 'x'", e.Statement)
	assert.Equal(t, mariaEntry, e.Raw)
}

// An entry split over events, two merged in one, and text that is no entry.
func TestMySQLReassembly(t *testing.T) {
	lines := strings.Split(mariaEntry, "\n")
	s := NewStream(MySQL)
	got := s.Read(events(
		"garbage before",
		strings.Join(lines[:2], "\n"), strings.Join(lines[2:], "\n"),
		mariaEntry+"\n"+strings.Replace(mariaEntry, "# Time: 240115  9:05:01\n", "", 1),
		strings.Join(lines[:6], "\n"), // unfinished: waits
	))
	require.Len(t, got, 4)
	assert.True(t, got[0].Malformed)
	assert.Equal(t, "garbage before", got[0].Raw)
	for _, e := range got[1:] {
		assert.True(t, e.Slow, e.Raw)
		assert.Equal(t, "SELECT *\nFROM t WHERE a = 'x'", e.Statement)
	}
	assert.Equal(t, time.Unix(1001, 0).UTC(), got[1].EventTime, "the first event's")
	assert.Equal(t, time.Unix(1003, 0).UTC(), got[1].Ingested, "the last event's")
	assert.True(t, s.Pending())

	// The rest arrives with the next read.
	got = s.Read(events(strings.Join(lines[6:], "\n")))
	require.Len(t, got, 1)
	assert.True(t, got[0].Slow)
	assert.Equal(t, mariaEntry, got[0].Raw)

	// An end that never comes: held once, then returned as it is.
	assert.Empty(t, s.Read(events(strings.Join(lines[:6], "\n"))))
	got = s.Read(nil)
	require.Len(t, got, 1)
	assert.True(t, got[0].Malformed)
	assert.False(t, s.Pending())
}

func TestPostgresLines(t *testing.T) {
	const prefix = "2024-01-15 09:05:01 UTC:10.0.0.7(5432):app@shop:[321]:"
	s := NewStream(PostgreSQL)
	got := s.Read(events(
		prefix+"LOG:  duration: 1500.250 ms  statement: SELECT *\n\tFROM t",
		prefix+"LOG:  duration: 2.000 ms  execute <unnamed>: SELECT $1\n"+prefix+"DETAIL:  parameters: $1 = '1'",
		prefix+"ERROR:  boom\n"+prefix+"STATEMENT:  SELECT 1",
		prefix+"LOG:  duration: nonsense",
		"2024-01-15 09:05:01 UTC:[local]:postgres@shop:[9]:LOG:  duration: 3.5 ms  plan:\n\tQuery Text: SELECT 1\n\t  + 2\n\tResult  (cost=0.00..0.01 rows=1 width=4)",
		"2024-01-15 09:05:01 UTC:2001:db8::1(6000):app@shop:[10]:LOG:  duration: 1 ms  statement: SELECT 2",
	))
	require.Len(t, got, 7)
	e := got[0]
	assert.True(t, e.Slow)
	assert.Equal(t, 1.50025, e.Duration)
	assert.Equal(t, "SELECT *\nFROM t", e.Statement)
	assert.Equal(t, "10.0.0.7", e.ClientAddress)
	assert.Equal(t, 5432, e.ClientPort)
	assert.Equal(t, "app", e.User)
	assert.Equal(t, "shop", e.Database)
	assert.EqualValues(t, 321, e.PID)
	assert.Equal(t, time.Date(2024, 1, 15, 9, 5, 1, 0, time.UTC), e.Time)

	assert.Equal(t, "execute", got[1].Phase)
	assert.Equal(t, "SELECT $1", got[1].Statement)
	assert.False(t, got[2].Slow || got[2].Malformed, "a DETAIL line is neither")
	assert.False(t, got[3].Slow || got[3].Malformed, "an event without durations stays one raw record")
	assert.Contains(t, got[3].Raw, "STATEMENT:  SELECT 1")
	assert.True(t, got[4].Malformed, "a duration that does not parse")
	assert.Equal(t, "SELECT 1\n  + 2", got[5].Statement)
	assert.Equal(t, "Result  (cost=0.00..0.01 rows=1 width=4)", got[5].Plan)
	assert.Equal(t, "[local]", got[5].ClientAddress)
	assert.Equal(t, "2001:db8::1", got[6].ClientAddress, "IPv6 client")
	assert.Equal(t, 6000, got[6].ClientPort)
}

func BenchmarkMySQLEntry(b *testing.B) {
	evs := events(mariaEntry)
	s := NewStream(MySQL)
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range s.Read(evs) {
			Fingerprint(Normalize(e.Statement, MySQL))
		}
	}
}
