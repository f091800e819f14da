package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestArchiveSums(t *testing.T) {
	data := bytes.Repeat([]byte("murder"), 100000)
	d := sha256.Sum256(data)
	good := hex.EncodeToString(d[:])
	file := filepath.Join(t.TempDir(), "a.tgz")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, want, err string
		read            int // bytes the extractor reads before verify
	}{
		{"whole file read", good, "", len(data)},
		{"rest hashed by verify", strings.ToUpper(good), "", 1000},
		{"mismatch", strings.Repeat("0", 64), "differs from the expected 0000", 1000},
	} {
		s, err := expectedSums(file, "", c.want)
		if err != nil {
			t.Fatal(err)
		}
		r, verify := s.tee(bytes.NewReader(data))
		if _, err := io.CopyN(io.Discard, r, int64(c.read)); err != nil {
			t.Fatal(err)
		}
		for range 2 { // a second call reports the same
			err = verify()
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Errorf("%s: verify = %v, want %q", c.name, err, c.err)
			}
		}
		if err := s.checkFile(context.Background()); (err == nil) != (c.err == "") {
			t.Errorf("%s: checkFile = %v", c.name, err)
		}
	}
	for _, bad := range []string{"abc", strings.Repeat("z", 64)} {
		var ue usageError
		if _, err := expectedSums(file, "", bad); !errors.As(err, &ue) {
			t.Errorf("--sha256 %q: %v, want a usage error", bad, err)
		}
	}
	none, _ := expectedSums(file, "", "")
	r, verify := none.tee(bytes.NewReader(data))
	if _, err := io.Copy(io.Discard, r); err != nil || verify() != nil {
		t.Error("no expected sum: want a plain reader and a verify that passes")
	}
}
