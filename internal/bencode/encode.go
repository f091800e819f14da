package bencode

import (
	"fmt"
	"slices"
	"strconv"
)

// Raw is a value already encoded, written out as it is.
type Raw []byte

// Marshal encodes v: a string or []byte as a byte string, an int or int64
// as an integer, a []any as a list, a map[string]any as a dictionary (keys
// sorted, as BEP 3 requires) and a Raw as itself.
func Marshal(v any) ([]byte, error) {
	return appendValue(nil, v)
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendString(b, v), nil
	case []byte:
		return appendString(b, string(v)), nil
	case int:
		return appendValue(b, int64(v))
	case int64:
		return append(strconv.AppendInt(append(b, 'i'), v, 10), 'e'), nil
	case Raw:
		return append(b, v...), nil
	case []any:
		b = append(b, 'l')
		for _, e := range v {
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, 'e'), nil
	case map[string]any:
		b = append(b, 'd')
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys) // byte order: Go compares strings bytewise
		for _, k := range keys {
			var err error
			if b, err = appendValue(appendString(b, k), v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, 'e'), nil
	default:
		return nil, fmt.Errorf("bencode: cannot encode %T", v)
	}
}

func appendString(b []byte, s string) []byte {
	return append(append(strconv.AppendInt(b, int64(len(s)), 10), ':'), s...)
}
