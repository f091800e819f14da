package archive

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchSize is the amount of incompressible data the benchmarks move.
const benchSize = 64 << 20

// benchTree writes benchSize bytes of random data as 16 files.
func benchTree(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	buf := make([]byte, benchSize/16)
	for i := range 16 {
		_, _ = rand.Read(buf)
		must(b, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d", i)), buf, 0o644))
	}
	return dir
}

func BenchmarkPack(b *testing.B) {
	dir := benchTree(b)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		must(b, Pack(context.Background(), io.Discard, dir, []string{".git*"}))
	}
}

func BenchmarkExtract(b *testing.B) {
	var buf bytes.Buffer
	must(b, Pack(context.Background(), &buf, benchTree(b), nil))
	data := buf.Bytes()
	parent := b.TempDir()
	b.SetBytes(benchSize)
	i := 0
	for b.Loop() {
		dest := filepath.Join(parent, fmt.Sprint(i))
		i++
		must(b, Extract(context.Background(), bytes.NewReader(data), dest, Options{}))
		b.StopTimer()
		must(b, os.RemoveAll(dest))
		b.StartTimer()
	}
}
