package bencode

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	anacrolix "github.com/anacrolix/torrent/bencode"
)

func TestDecode(t *testing.T) {
	good := map[string]any{
		"i0e":                     int64(0),
		"i-12e":                   int64(-12),
		"i9223372036854775807e":   int64(9223372036854775807),
		"0:":                      "",
		"4:spam":                  "spam",
		"le":                      []any{},
		"l4:spami7ee":             []any{"spam", int64(7)},
		"de":                      map[string]any{},
		"d3:cow3:moo4:spaml1:aee": map[string]any{"cow": "moo", "spam": []any{"a"}},
	}
	for in, want := range good {
		got, err := Decode([]byte(in))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%q) = %#v, %v; want %#v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":                      "unexpected end",
		"i01e":                  "malformed integer",
		"i-0e":                  "-0",
		"ie":                    "malformed integer",
		"i+1e":                  "malformed integer",
		"i9223372036854775808e": "out of range",
		"i1":                    "unterminated",
		"5:abc":                 "string of 5 bytes",
		"01:a":                  "malformed integer",
		"-1:a":                  "unexpected",
		"l":                     "unexpected end",
		"d1:a":                  "unexpected end",
		"di1ei2ee":              "key is not a string",
		"d1:a0:1:a0:e":          `key "a" twice`,
		"d1:b0:1:a0:e":          "must be sorted",
		"i1ei2e":                "after the value",
		"x":                     "unexpected",
		strings.Repeat("l", MaxDepth+1) + strings.Repeat("e", MaxDepth+1): "nested deeper",
	}
	for in, want := range bad {
		if _, err := Decode([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%q) = %v; want an error with %q", in, err, want)
		}
	}
}

func TestFields(t *testing.T) {
	in := []byte("d8:announce3:url4:infod4:name1:xee")
	f, err := Fields(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(f["info"]) != "d4:name1:xe" || string(f["announce"]) != "3:url" || len(f) != 2 {
		t.Errorf("Fields = %q", f)
	}
	for _, in := range []string{"le", "d4:info", "d4:infodee1:x"} {
		if _, err := Fields([]byte(in)); err == nil {
			t.Errorf("Fields(%q) accepted", in)
		}
	}
}

func TestMarshal(t *testing.T) {
	v := map[string]any{"b": []any{"x", int64(-3), 4}, "a": []byte("yz"), "c": Raw("de")}
	got, err := Marshal(v)
	if err != nil || string(got) != "d1:a2:yz1:bl1:xi-3ei4ee1:cdee" {
		t.Errorf("Marshal = %q, %v", got, err)
	}
	if _, err := Marshal(map[string]any{"f": 1.5}); err == nil {
		t.Error("a float was encoded")
	}
}

// FuzzDecode: whatever this package accepts, anacrolix's decoder (the one
// the agent uses) accepts and reads the same; encoding it again gives the
// input back when the input's keys were sorted.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"d3:cow3:moo4:spaml1:aee", "i-5e", "l0:de", "d4:infod6:lengthi5eee"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Decode(b)
		if err != nil {
			return
		}
		var theirs any
		if err := anacrolix.Unmarshal(b, &theirs); err != nil {
			t.Fatalf("we accept %q, anacrolix refuses it: %v", b, err)
		}
		if !reflect.DeepEqual(v, theirs) {
			t.Fatalf("%q: we read %#v, anacrolix %#v", b, v, theirs)
		}
		again, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("%q re-encoded as %q", b, again)
		}
	})
}
