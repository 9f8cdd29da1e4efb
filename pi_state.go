package awsrdsreceiver

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

// The Performance Insights windows are kept next to the CloudWatch ones, under
// "pi/<region>": the period, the region's window end, then each instance's DbiResourceId
// and the age of its newest delivered period relative to the window end.

const piStateVersion = 1

func piStateKey(region string) string { return "pi/" + region }

func encodePIState(p *piRegion) []byte {
	end := p.win.End.Unix()
	buf := []byte{piStateVersion}
	buf = binary.AppendUvarint(buf, uint64(p.rules.Period/time.Second))
	buf = binary.AppendVarint(buf, end)
	ids := make([]string, 0, len(p.marks))
	for id, m := range p.marks {
		if m.Set() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	buf = binary.AppendUvarint(buf, uint64(len(ids)))
	for _, id := range ids {
		buf = binary.AppendUvarint(buf, uint64(len(id)))
		buf = append(buf, id...)
		buf = binary.AppendVarint(buf, end-p.marks[id].Newest().Unix())
	}
	return buf
}

func decodePIState(data []byte, period time.Duration) (window.Region, map[string]window.Mark, error) {
	d := decoder{b: data}
	if v := d.byte(); v != piStateVersion {
		return window.Region{}, nil, fmt.Errorf("format version %d, this receiver reads %d", v, piStateVersion)
	}
	if p := time.Duration(d.uvarint()) * time.Second; d.err == nil && p != period {
		return window.Region{}, nil, fmt.Errorf("stored for a %v period, now %v", p, period)
	}
	end := d.varint()
	n := d.uvarint()
	marks := make(map[string]window.Mark, min(n, uint64(len(data))))
	for range n {
		id := d.string()
		age := d.varint()
		if d.err != nil {
			break
		}
		marks[id] = window.MarkAt(time.Unix(end-age, 0))
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return window.Region{}, nil, d.err
	}
	return window.Region{End: time.Unix(end, 0)}, marks, nil
}

// loadPI restores a region's PI windows; a missing or unusable state starts afresh.
func (st *stateStore) loadPI(ctx context.Context, r *region, logger *zap.Logger) {
	if r.pi == nil {
		return
	}
	data, err := st.client.Get(ctx, piStateKey(r.name))
	if err != nil || data == nil {
		if err != nil {
			logger.Warn("Reading the Performance Insights state failed: starting afresh", zap.String("region", r.name), zap.Error(err))
		}
		return
	}
	win, marks, err := decodePIState(data, r.pi.rules.Period)
	if err != nil {
		logger.Warn("The stored Performance Insights state cannot be used: starting afresh", zap.String("region", r.name), zap.Error(err))
		return
	}
	r.pi.win, r.pi.marks = win, marks
}

// savePI writes the region's PI windows after the pipeline took their points.
func (st *stateStore) savePI(ctx context.Context, r *region, logger *zap.Logger) {
	if r.pi == nil || !r.pi.read {
		return
	}
	if err := st.client.Set(ctx, piStateKey(r.name), encodePIState(r.pi)); err != nil {
		logger.Warn("Writing the Performance Insights state failed: after a restart, points since the last write may be read again",
			zap.String("region", r.name), zap.Error(err))
	}
}
