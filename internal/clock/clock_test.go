package clock

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := time.Now()
	c := Clock{Start: start, At: at, Speed: 20}
	got, err := Parse(c.String())
	if err != nil {
		t.Fatal(err)
	}
	if !got.Start.Equal(start) || !got.At.Equal(at) || got.Speed != 20 {
		t.Fatalf("round trip: got %+v, want %+v", got, c)
	}
	if d := got.Now().Sub(start); d < 0 || d > 20*time.Second {
		t.Fatalf("Now is %v after start, want a little", d)
	}
	if r := got.Real(time.Minute); r != 3*time.Second {
		t.Fatalf("Real(1m) = %v, want 3s", r)
	}
	for _, bad := range []struct{ spec, want string }{
		{"start=x,at=1,speed=2", "start="},
		{"start=2026-01-01T00:00:00Z,at=1,speed=0", "speed="},
		{"start=2026-01-01T00:00:00Z,speed=2", "lacks at="},
		{"foo=1", "unknown key"},
		{"nonsense", "not key=value"},
	} {
		if _, err := Parse(bad.spec); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", bad.spec, err, bad.want)
		}
	}
	if w, err := Parse(""); err != nil || w.Scaled() || w.Real(time.Second) != time.Second {
		t.Fatalf("empty spec: %+v %v", w, err)
	}
}
