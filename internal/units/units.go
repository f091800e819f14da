// Package units reads and writes the sizes and rates of the project's
// name=value words ("256MiB", "100mbit"; read case-insensitively): the
// bench's size= and rate=, murder's piece_length=.
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// unit is a suffix and what one of it is worth.
type unit struct {
	suffix string
	value  float64
}

// Longest suffixes first, so "mib" is not read as "b" after "mi".
var sizeUnits = []unit{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"b", 1}, {"", 1},
}

// ParseSize reads a size in bytes: "256MiB", "1GiB", "500MB", "4096".
// Bits ("mbit") are refused: sizes are bytes.
func ParseSize(s string) (int64, error) {
	v, err := parse(s, sizeUnits)
	if err != nil || v < 1 || v > math.MaxInt64/2 || v != math.Trunc(v) {
		return 0, fmt.Errorf("size %q: want a whole number of bytes like 256MiB, 1GiB or 500MB", s)
	}
	return int64(v), nil
}

// rateUnits follow tc(8): "bit" units are bits, "bps" units bytes per second.
var rateUnits = []unit{
	{"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {"tbit", 1e12},
	{"kbps", 8e3}, {"mbps", 8e6}, {"gbps", 8e9}, {"tbps", 8e12}, {"bit", 1}, {"bps", 8},
}

// ParseRate reads a tc(8) rate ("100mbit", "1gbit") in bits per second.
func ParseRate(s string) (float64, error) {
	v, err := parse(s, rateUnits)
	if err != nil || v < 8000 {
		return 0, fmt.Errorf("rate %q: want a tc rate of at least 8kbit, like 100mbit or 1gbit", s)
	}
	return v, nil
}

func parse(s string, units []unit) (float64, error) {
	ls := strings.ToLower(strings.TrimSpace(s))
	for _, u := range units {
		num, ok := strings.CutSuffix(ls, u.suffix)
		if !ok || num == "" || strings.ContainsAny(num[len(num)-1:], "abcdefghijklmnopqrstuvwxyz") {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v <= 0 || math.IsInf(v, 0) {
			return 0, fmt.Errorf("bad number %q", num)
		}
		return v * u.value, nil
	}
	return 0, fmt.Errorf("unknown unit in %q", s)
}

// FormatSize writes bytes with a binary unit when it is exact ("256MiB"),
// else as a plain number.
func FormatSize(n int64) string {
	for _, u := range []unit{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= int64(u.value) && n%int64(u.value) == 0 {
			return strconv.FormatInt(n/int64(u.value), 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// FormatRate writes bits per second with the largest exact tc unit.
func FormatRate(bits float64) string {
	for _, u := range []unit{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}} {
		if bits >= u.value && math.Mod(bits, u.value) == 0 {
			return strconv.FormatFloat(bits/u.value, 'f', -1, 64) + u.suffix
		}
	}
	return strconv.FormatInt(int64(bits), 10) + "bit"
}
