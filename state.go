package awsrdsreceiver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/catalog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

// stateStore keeps each region's CloudWatch window state in a storage extension
// (file_storage), under the key "cloudwatch/<region>".
type stateStore struct {
	client storage.Client
	period time.Duration
}

// openStateStore gets a client of the storage extension id for the receiver.
func openStateStore(ctx context.Context, host component.Host, id, receiverID component.ID, period time.Duration) (*stateStore, error) {
	client, err := storageClient(ctx, host, id, receiverID, "cloudwatch")
	if err != nil {
		return nil, err
	}
	return &stateStore{client: client, period: period}, nil
}

// storageClient gets the receiver's client called name of the storage extension id.
func storageClient(ctx context.Context, host component.Host, id, receiverID component.ID, name string) (storage.Client, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not configured (add it under extensions and service.extensions)", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, component.KindReceiver, receiverID, name)
	if err != nil {
		return nil, fmt.Errorf("storage: extension %q: %w", id, err)
	}
	return client, nil
}

func stateKey(region string) string { return "cloudwatch/" + region }

// load reads a region's state. A missing or unreadable state (another period, a corrupt
// or older format) starts the region afresh, and says so.
func (st *stateStore) load(ctx context.Context, region string, logger *zap.Logger) (window.Region, map[seriesKey]window.Mark) {
	data, err := st.client.Get(ctx, stateKey(region))
	if err != nil {
		logger.Warn("Reading the CloudWatch state failed: starting afresh", zap.String("region", region), zap.Error(err))
		return window.Region{}, nil
	}
	if data == nil {
		return window.Region{}, nil
	}
	win, marks, err := decodeState(data, st.period)
	if err != nil {
		logger.Warn("The stored CloudWatch state cannot be used: starting afresh", zap.String("region", region), zap.Error(err))
		return window.Region{}, nil
	}
	logger.Info("Continuing from the stored CloudWatch state", zap.String("region", region),
		zap.Time("window_end", win.End), zap.Int("series", len(marks)))
	return win, marks
}

func (st *stateStore) save(ctx context.Context, region string, win window.Region, p *queryPlan) error {
	return st.client.Set(ctx, stateKey(region), encodeState(win, p, st.period))
}

func (st *stateStore) close(ctx context.Context) error { return st.client.Close(ctx) }

// stateVersion is the first byte of an encoded state; a change of format changes it.
const stateVersion = 1

// encodeState writes a region's state compactly: the period and window end, a table of
// the (metric, statistic) names, then each resource with its series as (name index, age
// of the newest point relative to the window end, in seconds). Series without a mark are
// left out. About 3 bytes a series plus each resource's identifier.
func encodeState(win window.Region, p *queryPlan, period time.Duration) []byte {
	end := win.End.Unix()
	buf := make([]byte, 0, 64+len(p.resources)*24+len(p.series)*3)
	buf = append(buf, stateVersion)
	buf = binary.AppendUvarint(buf, uint64(period/time.Second))
	buf = binary.AppendVarint(buf, end)

	// A (metric, statistic) is one selected entry of the plan: index the table by it.
	names := map[*selected]uint64{}
	var table []string
	name := func(i int) uint64 {
		s := p.selected(i)
		k, ok := names[s]
		if !ok {
			k = uint64(len(table))
			names[s] = k
			table = append(table, s.entry.CloudWatchName+"\x00"+s.stat)
		}
		return k
	}
	var body []byte
	body = binary.AppendUvarint(body, uint64(len(p.resources)))
	for ri := range p.resources {
		rp := &p.resources[ri]
		ref := rp.ref()
		body = append(body, byte(ref.scope)) // 0 and 1 (instance, cluster) as in earlier versions
		body = binary.AppendUvarint(body, uint64(len(ref.id)))
		body = append(body, ref.id...)
		n := 0
		for i := rp.first; i < rp.end; i++ {
			if p.marks[i].Set() {
				n++
			}
		}
		body = binary.AppendUvarint(body, uint64(n))
		for i := rp.first; i < rp.end; i++ {
			if m := p.marks[i]; m.Set() {
				body = binary.AppendUvarint(body, name(i))
				body = binary.AppendVarint(body, end-m.Newest().Unix())
			}
		}
	}
	buf = binary.AppendUvarint(buf, uint64(len(table)))
	for _, n := range table {
		buf = binary.AppendUvarint(buf, uint64(len(n)))
		buf = append(buf, n...)
	}
	return append(buf, body...)
}

var errCorrupt = errors.New("truncated or corrupt")

// decodeState reads what encodeState wrote, for the configured period.
func decodeState(data []byte, period time.Duration) (window.Region, map[seriesKey]window.Mark, error) {
	d := decoder{b: data}
	if v := d.byte(); v != stateVersion {
		return window.Region{}, nil, fmt.Errorf("format version %d, this receiver reads %d", v, stateVersion)
	}
	if p := time.Duration(d.uvarint()) * time.Second; d.err == nil && p != period {
		return window.Region{}, nil, fmt.Errorf("stored for cloudwatch.period %v, configured %v", p, period)
	}
	end := d.varint()
	table := make([]string, min(d.uvarint(), uint64(len(data))))
	for i := range table {
		table[i] = d.string()
	}
	n := d.uvarint()
	marks := make(map[seriesKey]window.Mark, min(n*16, uint64(len(data))))
	for range n {
		if d.err != nil {
			break
		}
		scope := catalog.Scope(d.byte())
		if scope >= catalog.Scopes {
			d.fail()
			break
		}
		ref := resourceRef{scope, d.string()}
		for range d.uvarint() {
			k, age := d.uvarint(), d.varint()
			if d.err != nil || k >= uint64(len(table)) {
				d.fail()
				break
			}
			metric, stat, _ := cutZero(table[k])
			marks[seriesKey{ref, metric, stat}] = window.MarkAt(time.Unix(end-age, 0))
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return window.Region{}, nil, d.err
	}
	return window.Region{End: time.Unix(end, 0)}, marks, nil
}

func cutZero(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// decoder reads varints and strings, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err, d.b = errCorrupt, nil }

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
