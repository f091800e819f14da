package bench

import (
	"strings"
	"testing"
	"time"
)

func TestStampWriter(t *testing.T) {
	start := time.Unix(100, 0)
	now := start
	var out strings.Builder
	w := newStampWriter(&out, start, func() time.Time { return now })
	now = start.Add(1500 * time.Millisecond)
	w.Write([]byte("one\ntw"))
	now = start.Add(2 * time.Second)
	w.Write([]byte("o\n"))
	want := "   1.500 one\n   2.000 two\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}
