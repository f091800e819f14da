package seal

import (
	"bytes"
	"strings"
	"testing"
)

// openAll decrypts every chunk of ct, last first, through Chunks.
func openAll(t *testing.T, ct []byte, id string) ([]byte, error) {
	t.Helper()
	c, err := OpenChunks(bytes.NewReader(ct), int64(len(ct)), id)
	if err != nil {
		return nil, err
	}
	parts := make([][]byte, c.Count())
	for i := c.Count() - 1; i >= 0; i-- {
		off, n := c.Range(i)
		if parts[i], err = c.Open(nil, ct[off:off+n], i); err != nil {
			return nil, err
		}
	}
	got := bytes.Join(parts, nil)
	if int64(len(got)) != c.Plain() {
		t.Fatalf("Plain() = %d, chunks hold %d bytes", c.Plain(), len(got))
	}
	return got, nil
}

// TestChunksMatchDecrypt: chunk by chunk, in any order, the plaintext is
// what age's own front-to-back decryption gives, at every size around a
// chunk's.
func TestChunksMatchDecrypt(t *testing.T) {
	for _, n := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2 * ChunkSize, 3*ChunkSize + 100} {
		plain := randomBytes(t, n)
		ct, id := sealBytes(t, plain)
		got, err := openAll(t, ct, id)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%d bytes: err %v, equal %v", n, err, bytes.Equal(got, plain))
		}
	}
}

func TestChunksRefuse(t *testing.T) {
	plain := randomBytes(t, 3*ChunkSize+100)
	ct, id := sealBytes(t, plain)
	c, err := OpenChunks(bytes.NewReader(ct), int64(len(ct)), id)
	if err != nil {
		t.Fatal(err)
	}
	// Each chunk sealed under its own index: chunk 1's bytes are not
	// chunk 2, and the last chunk is marked as such.
	off1, n1 := c.Range(1)
	if _, err := c.Open(nil, ct[off1:off1+n1], 2); err == nil || !strings.Contains(err.Error(), "tampered") {
		t.Errorf("chunk 1 opened as chunk 2: %v", err)
	}
	offLast, nLast := c.Range(3)
	if _, err := c.Open(nil, ct[offLast:offLast+nLast], 3); err != nil {
		t.Fatalf("last chunk: %v", err)
	}
	// A file cut at a chunk's end: its last whole chunk is not marked
	// last, and its size no longer ends in a whole chunk or is refused.
	cut := ct[:offLast]
	if c2, err := OpenChunks(bytes.NewReader(cut), int64(len(cut)), id); err == nil {
		off, n := c2.Range(2)
		if _, err := c2.Open(nil, cut[off:off+n], 2); err == nil {
			t.Error("a file cut after chunk 2 decrypted its chunk 2 as the last")
		}
	}
	for name, tc := range map[string]struct {
		ct []byte
		id string
	}{
		"wrong key":          {ct, func() string { id, _, _ := NewKey(); return id }()},
		"truncated header":   {ct[:20], id},
		"flipped header":     {append([]byte{ct[0] ^ 1}, ct[1:]...), id},
		"ends inside a tag":  {ct[:offLast+10], id},
		"trailing byte only": {ct[:off1+1], id},
	} {
		if _, err := openAll(t, tc.ct, tc.id); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	if _, err := c.Open(nil, nil, 4); err == nil {
		t.Error("chunk 4 of 4 opened")
	}
}

func TestChunksFlippedByte(t *testing.T) {
	ct, id := sealBytes(t, randomBytes(t, 3*ChunkSize))
	c, err := OpenChunks(bytes.NewReader(ct), int64(len(ct)), id)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Count() {
		off, n := c.Range(i)
		bad := bytes.Clone(ct[off : off+n])
		bad[n/2] ^= 1
		if _, err := c.Open(nil, bad, i); err == nil || !strings.Contains(err.Error(), "tampered") {
			t.Errorf("chunk %d with a flipped byte: %v", i, err)
		}
	}
}
