package sqlquery

import (
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/assert"
)

func TestToNumber(t *testing.T) {
	tests := []struct {
		name   string
		in     any
		want   number
		reason string
	}{
		{"bigint", int64(-42), intNumber(-42), ""},
		{"int", int32(7), intNumber(7), ""},
		{"unsigned bigint", uint64(18), intNumber(18), ""},
		{"unsigned bigint beyond int64", uint64(math.MaxUint64), floatNumber(float64(math.MaxUint64)), ""},
		{"double", 2.5, floatNumber(2.5), ""},
		{"float keeps its decimal value", float32(0.1), floatNumber(0.1), ""},
		{"bool true", true, intNumber(1), ""},
		{"bool false", false, intNumber(0), ""},
		{"mysql decimal", []byte("12345.678"), floatNumber(12345.678), ""},
		{"mysql decimal rounds to the nearest double", []byte("0.1000000000000000055511151231257827"), floatNumber(0.1), ""},
		{"postgres numeric", "-0.000001", floatNumber(-0.000001), ""},
		{"large numeric", "123456789012345678901234567890", floatNumber(1.2345678901234568e29), ""},
		{"numeric string with spaces", " 42 ", floatNumber(42), ""},
		{"exponent", "1e3", floatNumber(1000), ""},
		{"pgtype numeric", pgtype.Numeric{Int: big.NewInt(12345), Exp: -2, Valid: true}, floatNumber(123.45), ""},
		{"pgtype numeric null", pgtype.Numeric{}, number{}, reasonNull},
		{"null", nil, number{}, reasonNull},
		{"text", "idle", number{}, reasonNotNumeric},
		{"empty text", []byte(""), number{}, reasonNotNumeric},
		{"timestamp", time.Unix(0, 0), number{}, reasonNotNumeric},
		// NaN and infinities are row errors, never points.
		{"NaN string", "NaN", number{}, reasonNotNumeric},
		{"nan bytes", []byte("nan"), number{}, reasonNotNumeric},
		{"Infinity string", "Infinity", number{}, reasonNotNumeric},
		{"-inf bytes", []byte("-inf"), number{}, reasonNotNumeric},
		{"NaN double", math.NaN(), number{}, reasonNotNumeric},
		{"+Inf double", math.Inf(1), number{}, reasonNotNumeric},
		{"-Inf float", float32(math.Inf(-1)), number{}, reasonNotNumeric},
		{"pgtype numeric NaN", pgtype.Numeric{NaN: true, Valid: true}, number{}, reasonNotNumeric},
		{"pgtype numeric infinity", pgtype.Numeric{InfinityModifier: pgtype.Infinity, Valid: true}, number{}, reasonNotNumeric},
		{"overflowing decimal", "1e400", number{}, reasonNotNumeric},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := toNumber(tt.in)
			assert.Equal(t, tt.reason, reason)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNumberPlus(t *testing.T) {
	assert.Equal(t, intNumber(5), intNumber(2).plus(intNumber(3)))
	assert.Equal(t, floatNumber(5.5), intNumber(2).plus(floatNumber(3.5)))
	assert.Equal(t, floatNumber(5.5), floatNumber(2.5).plus(intNumber(3)))
}

func TestToAttribute(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{"app", "app"},
		{[]byte("10.0.0.1"), "10.0.0.1"},
		{int64(-3), "-3"},
		{uint64(3), "3"},
		{1.5, "1.5"},
		{float32(0.1), "0.1"},
		{true, "true"},
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05Z"},
		{pgtype.Numeric{Int: big.NewInt(15), Exp: -1, Valid: true}, "1.5"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, toAttribute(tt.in), "%#v", tt.in)
	}
}
