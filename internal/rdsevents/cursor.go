package rdsevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// cursorVersion is the first byte of an encoded cursor; a change of format changes it.
const cursorVersion = 1

// Encode writes the cursor compactly: version, Since, then each seen key with its time.
func (c Cursor) Encode() []byte {
	buf := make([]byte, 0, 16+len(c.Seen)*18)
	buf = append(buf, cursorVersion)
	var since int64 // zero: never read (the zero time has no UnixNano)
	if !c.Since.IsZero() {
		since = c.Since.UnixNano()
	}
	buf = binary.AppendVarint(buf, since)
	buf = binary.AppendUvarint(buf, uint64(len(c.Seen)))
	for k, t := range c.Seen {
		buf = binary.BigEndian.AppendUint64(buf, k)
		buf = binary.AppendVarint(buf, t.UnixNano())
	}
	return buf
}

// DecodeCursor reads what Encode wrote.
func DecodeCursor(data []byte) (Cursor, error) {
	if len(data) == 0 || data[0] != cursorVersion {
		return Cursor{}, errors.New("events cursor: unknown format")
	}
	data = data[1:]
	since, n := binary.Varint(data)
	if n <= 0 {
		return Cursor{}, errors.New("events cursor: truncated")
	}
	data = data[n:]
	count, n := binary.Uvarint(data)
	if n <= 0 || count > uint64(len(data)) {
		return Cursor{}, errors.New("events cursor: truncated")
	}
	data = data[n:]
	c := Cursor{Seen: make(map[uint64]time.Time, count)}
	if since != 0 {
		c.Since = time.Unix(0, since).UTC()
	}
	for i := uint64(0); i < count; i++ {
		if len(data) < 9 {
			return Cursor{}, fmt.Errorf("events cursor: truncated at key %d", i)
		}
		k := binary.BigEndian.Uint64(data)
		t, n := binary.Varint(data[8:])
		if n <= 0 {
			return Cursor{}, fmt.Errorf("events cursor: truncated at key %d", i)
		}
		c.Seen[k] = time.Unix(0, t).UTC()
		data = data[8+n:]
	}
	if len(data) != 0 {
		return Cursor{}, errors.New("events cursor: trailing bytes")
	}
	return c, nil
}
