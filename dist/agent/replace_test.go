package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReplaceDirRepairs: a replacement killed between its two renames left
// dest missing, the old content moved aside and the new content staged.
// The next replacement puts the old content back before it starts, so a
// failed extraction leaves dest as it was before the killed one; a good
// one replaces it. Nothing is left beside dest either way.
func TestReplaceDirRepairs(t *testing.T) {
	parent := t.TempDir()
	dest := filepath.Join(parent, "app")
	staged := filepath.Join(parent, ".app.murder-new-123")
	for _, d := range []string{staged, staged + ".old"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(staged+".old", "v"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(staged, "v"), []byte("half-done"), 0o644)
	os.Chmod(staged, 0o555) // as an archive's modes may leave it

	failing := func(d string) error { return errors.New("corrupt archive") }
	if err := replaceDir(context.Background(), failing, dest); err == nil {
		t.Fatal("a failing extraction succeeded")
	}
	if b, err := os.ReadFile(filepath.Join(dest, "v")); err != nil || string(b) != "old" {
		t.Errorf("dest after the repair and a failed extraction: %q, %v; want the old content", b, err)
	}
	good := func(d string) error {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(d, "v"), []byte("new"), 0o644)
	}
	if err := replaceDir(context.Background(), good, dest); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "v")); string(b) != "new" {
		t.Errorf("dest = %q, want the new content", b)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left beside dest: %v", names)
	}
}
