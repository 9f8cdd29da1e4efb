package sqlquery

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Why a value did not become a datapoint.
const (
	reasonNull          = "null"
	reasonNotNumeric    = "not_numeric"
	reasonMissingColumn = "missing_column"
	reasonCardinality   = "cardinality"
	reasonDuplicate     = "duplicate"
)

// number is a datapoint value: an int for integer and boolean columns, a double for
// everything else (floats, DECIMAL/NUMERIC, numeric strings).
type number struct {
	i       int64
	f       float64
	isFloat bool
}

func intNumber(i int64) number     { return number{i: i} }
func floatNumber(f float64) number { return number{f: f, isFloat: true} }

func (n number) float() float64 {
	if n.isFloat {
		return n.f
	}
	return float64(n.i)
}

// plus is the sum of two values, an int only if both are.
func (n number) plus(o number) number {
	if !n.isFloat && !o.isFloat {
		return intNumber(n.i + o.i)
	}
	return floatNumber(n.float() + o.float())
}

// toNumber converts a value scanned into `any` from either driver. It returns the
// reason when it cannot: reasonNull, or reasonNotNumeric, NaN and infinities included
// (from a float column or a string such as 'NaN' or 'Infinity'): no backend agrees on
// what they mean, and a NaN point silently breaks sums and alerts.
func toNumber(v any) (number, string) {
	n, reason := convert(v)
	if reason == "" && n.isFloat && (math.IsNaN(n.f) || math.IsInf(n.f, 0)) {
		return number{}, reasonNotNumeric
	}
	return n, reason
}

func convert(v any) (number, string) {
	switch x := v.(type) {
	case nil:
		return number{}, reasonNull
	case int64:
		return intNumber(x), ""
	case int32:
		return intNumber(int64(x)), ""
	case int:
		return intNumber(int64(x)), ""
	case uint64:
		if x > math.MaxInt64 {
			return floatNumber(float64(x)), ""
		}
		return intNumber(int64(x)), ""
	case uint32:
		return intNumber(int64(x)), ""
	case bool:
		if x {
			return intNumber(1), ""
		}
		return intNumber(0), ""
	case float64:
		return floatNumber(x), ""
	case float32:
		// Through its shortest decimal form, so that a FLOAT 0.1 stays 0.1 and does not
		// become 0.10000000149011612.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return floatNumber(f), ""
	case []byte:
		// MySQL's DECIMAL and text columns, PostgreSQL's bytea.
		return parseNumber(string(x))
	case string:
		// PostgreSQL's NUMERIC and text columns.
		return parseNumber(x)
	case pgtype.Numeric:
		if !x.Valid {
			return number{}, reasonNull
		}
		f, err := x.Float64Value()
		if err != nil || !f.Valid {
			return number{}, reasonNotNumeric
		}
		return floatNumber(f.Float64), ""
	}
	return number{}, reasonNotNumeric
}

// parseNumber parses a decimal text (DECIMAL, NUMERIC, a numeric string) to the nearest
// double, as strconv does: correctly rounded, never through an intermediate float32.
func parseNumber(s string) (number, string) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return number{}, reasonNotNumeric
	}
	return floatNumber(f), ""
}

// toAttribute renders a value of an attribute column; NULL is the empty string.
func toAttribute(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case driver.Valuer: // pgtype.Numeric and friends
		if dv, err := x.Value(); err == nil {
			if _, again := dv.(driver.Valuer); !again {
				return toAttribute(dv)
			}
		}
	}
	return fmt.Sprint(v)
}
