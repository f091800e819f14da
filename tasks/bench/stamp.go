package bench

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"
)

// stampWriter prefixes every line with the seconds since the bench
// started, so the log shows where a transfer spends its time (SSH
// rounds, peer start, extraction) without a profiler. Writers from
// several goroutines share it; partial lines wait for their newline.
type stampWriter struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	now   func() time.Time
	buf   []byte
}

func newStampWriter(w io.Writer, start time.Time, now func() time.Time) *stampWriter {
	return &stampWriter{w: w, start: start, now: now}
}

func (s *stampWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		at := s.now().Sub(s.start).Seconds()
		if _, err := fmt.Fprintf(s.w, "%8.3f %s", at, s.buf[:i+1]); err != nil {
			return 0, err
		}
		s.buf = s.buf[i+1:]
	}
}
