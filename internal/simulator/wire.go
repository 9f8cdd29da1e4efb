package simulator

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Requests of every protocol are decoded into one neutral tree: map[string]any,
// []any, string, float64, json.Number, bool, time.Time or nil. The coercions below
// accept what each protocol uses for a type (a query form sends numbers, booleans
// and ISO 8601 timestamps as text; JSON sends epoch-second numbers; CBOR tags them).

// Responses are built as a neutral document that each protocol encodes.
type (
	object []member // a structure, members in order
	member struct {
		name  string
		value any
	}
	list struct {
		item   string // XML element name of each entry: "member", "DBInstance", "Tag", ...
		values []any
	}
	dict []dictEntry // a string-keyed map (XML: <entry><key/><value/></entry>)

	dictEntry struct {
		key   string
		value any
	}
)

// add appends a member unless its value is nil, an empty string or a nil list.
func (o object) add(name string, v any) object {
	switch x := v.(type) {
	case nil:
		return o
	case string:
		if x == "" {
			return o
		}
	}
	return append(o, member{name: name, value: v})
}

// ---- request tree ----

func fromCBOR(v cbor.Value) (any, error) {
	switch x := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(x))
		for k, e := range x {
			d, err := fromCBOR(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m[k] = d
		}
		return m, nil
	case cbor.List:
		l := make([]any, len(x))
		for i, e := range x {
			d, err := fromCBOR(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = d
		}
		return l, nil
	case cbor.String:
		return string(x), nil
	case cbor.Uint:
		return float64(x), nil
	case cbor.NegInt:
		return -float64(x), nil
	case cbor.Float32:
		return float64(x), nil
	case cbor.Float64:
		return float64(x), nil
	case cbor.Bool:
		return bool(x), nil
	case *cbor.Nil, *cbor.Undefined:
		return nil, nil
	case *cbor.Tag:
		t, err := cbor.AsTime(x)
		if err != nil {
			return nil, fmt.Errorf("tag %d: %w", x.ID, err)
		}
		return t, nil
	case cbor.Slice:
		return []byte(x), nil
	}
	return nil, fmt.Errorf("unsupported CBOR value %T", v)
}

// fromForm turns an awsQuery form into the tree. A list entry is written as
// Name.member.N (or Name.Filter.N, Name.Value.N for RDS): the element name before a
// numeric index is dropped, so both become Name -> []any.
func fromForm(form url.Values) map[string]any {
	root := map[string]any{}
	for key, vals := range form {
		if len(vals) == 0 {
			continue
		}
		segs := strings.Split(key, ".")
		path := make([]string, 0, len(segs))
		for i, s := range segs {
			if i > 0 && i+1 < len(segs) && isIndex(segs[i+1]) && !isIndex(s) {
				continue
			}
			path = append(path, s)
		}
		node := root
		for _, s := range path[:len(path)-1] {
			next, ok := node[s].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[s] = next
			}
			node = next
		}
		node[path[len(path)-1]] = vals[0]
	}
	return listify(root).(map[string]any)
}

func isIndex(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0
}

// listify turns maps whose keys are all indexes 1..N into lists.
func listify(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	allIdx := len(m) > 0
	for k, e := range m {
		m[k] = listify(e)
		if !isIndex(k) {
			allIdx = false
		}
	}
	if !allIdx {
		return m
	}
	keys := make([]int, 0, len(m))
	for k := range m {
		n, _ := strconv.Atoi(k)
		keys = append(keys, n)
	}
	sort.Ints(keys)
	l := make([]any, len(keys))
	for i, k := range keys {
		l[i] = m[strconv.Itoa(k)]
	}
	return l
}

func asString(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	}
	return "", fmt.Errorf("expected a string, got %T", v)
}

func asFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case json.Number:
		return x.Float64()
	case string:
		return strconv.ParseFloat(x, 64)
	}
	return 0, fmt.Errorf("expected a number, got %T", v)
}

func asInt(v any) (int64, error) {
	f, err := asFloat(v)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("expected an integer, got %v", f)
	}
	return int64(f), nil
}

func asBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		return strconv.ParseBool(x)
	}
	return false, fmt.Errorf("expected a boolean, got %T", v)
}

func asTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case float64, json.Number:
		f, err := asFloat(x)
		if err != nil {
			return time.Time{}, err
		}
		return time.UnixMilli(int64(math.Round(f * 1e3))), nil
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t, nil
			}
		}
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return time.UnixMilli(int64(math.Round(f * 1e3))), nil
		}
		return time.Time{}, fmt.Errorf("invalid timestamp %q", x)
	}
	return time.Time{}, fmt.Errorf("expected a timestamp, got %T", v)
}

func asList(v any) ([]any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return x, nil
	case map[string]any:
		if len(x) == 0 { // an empty query list is sent as "Name="
			return nil, nil
		}
	case string:
		if x == "" {
			return nil, nil
		}
	}
	return nil, fmt.Errorf("expected a list, got %T", v)
}

func asObject(v any) (map[string]any, error) {
	switch x := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return x, nil
	}
	return nil, fmt.Errorf("expected a structure, got %T", v)
}

// ---- response encodings ----

func toCBOR(v any) cbor.Value {
	switch x := v.(type) {
	case object:
		m := make(cbor.Map, len(x))
		for _, f := range x {
			m[f.name] = toCBOR(f.value)
		}
		return m
	case list:
		l := make(cbor.List, len(x.values))
		for i, e := range x.values {
			l[i] = toCBOR(e)
		}
		return l
	case dict:
		m := make(cbor.Map, len(x))
		for _, e := range x {
			m[e.key] = toCBOR(e.value)
		}
		return m
	case string:
		return cbor.String(x)
	case bool:
		return cbor.Bool(x)
	case int64:
		if x < 0 {
			return cbor.NegInt(-x)
		}
		return cbor.Uint(x)
	case float64:
		return cbor.Float64(x)
	case time.Time:
		if x.Nanosecond() == 0 && x.Unix() >= 0 {
			return &cbor.Tag{ID: 1, Value: cbor.Uint(x.Unix())}
		}
		return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(x.UnixMilli()) / 1e3)}
	}
	panic(fmt.Sprintf("simulator: no CBOR encoding for %T", v))
}

func writeJSON(b *strings.Builder, v any) {
	switch x := v.(type) {
	case object:
		b.WriteByte('{')
		for i, f := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, f.name)
			b.WriteByte(':')
			writeJSON(b, f.value)
		}
		b.WriteByte('}')
	case list:
		b.WriteByte('[')
		for i, e := range x.values {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case dict:
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e.key)
			b.WriteByte(':')
			writeJSON(b, e.value)
		}
		b.WriteByte('}')
	case time.Time:
		b.WriteString(strconv.FormatFloat(float64(x.UnixMilli())/1e3, 'f', -1, 64))
	default:
		p, err := json.Marshal(x)
		if err != nil {
			panic(fmt.Sprintf("simulator: no JSON encoding for %T: %v", v, err))
		}
		b.Write(p)
	}
}

func writeXML(b *strings.Builder, name string, v any) {
	b.WriteString("<" + name + ">")
	switch x := v.(type) {
	case object:
		for _, f := range x {
			writeXML(b, f.name, f.value)
		}
	case list:
		for _, e := range x.values {
			writeXML(b, x.item, e)
		}
	case dict:
		for _, e := range x {
			b.WriteString("<entry>")
			writeXML(b, "key", e.key)
			writeXML(b, "value", e.value)
			b.WriteString("</entry>")
		}
	case string:
		_ = xml.EscapeText(b, []byte(x)) // a strings.Builder never fails
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case time.Time:
		b.WriteString(formatISO(x))
	default:
		panic(fmt.Sprintf("simulator: no XML encoding for %T", v))
	}
	b.WriteString("</" + name + ">")
}

func formatISO(t time.Time) string {
	if t.Nanosecond() == 0 {
		return t.UTC().Format("2006-01-02T15:04:05Z")
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
