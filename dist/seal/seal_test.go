package seal

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seal encrypts plain to a fresh key and returns the ciphertext and identity.
func sealBytes(t testing.TB, plain []byte) ([]byte, string) {
	t.Helper()
	id, rcpt, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := Encrypt(&buf, rcpt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), id
}

func open(ct []byte, id string) ([]byte, error) {
	r, err := Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 64 << 10, 64<<10 + 1, 300 << 10} {
		plain := randomBytes(t, n)
		ct, id := sealBytes(t, plain)
		if !IsEncrypted(ct) {
			t.Fatalf("%d bytes: ciphertext does not start with %q", n, Magic)
		}
		got, err := open(ct, id)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%d bytes: round trip: err %v, equal %v", n, err, bytes.Equal(got, plain))
		}
	}
}

func TestWrongKey(t *testing.T) {
	ct, _ := sealBytes(t, []byte("secret"))
	other, _, _ := NewKey()
	if _, err := open(ct, other); err == nil || !strings.Contains(err.Error(), "not encrypted to this identity") {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestTamperedAndTruncated(t *testing.T) {
	plain := randomBytes(t, 200<<10)
	ct, id := sealBytes(t, plain)
	flipped := bytes.Clone(ct)
	flipped[len(ct)/2] ^= 1
	cases := map[string][]byte{
		"flipped byte":        flipped,
		"truncated mid-chunk": ct[:len(ct)-100],
		"truncated at chunk":  ct[:len(ct)-(8<<10+16)], // 200 KiB: three full chunks and 8 KiB
		"trailing data":       append(bytes.Clone(ct), 0),
	}
	for name, c := range cases {
		if _, err := open(c, id); err == nil || !strings.Contains(err.Error(), "tampered") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPlaintextNotInCiphertext(t *testing.T) {
	marker := []byte("MURDER-MARKER-7f3a")
	plain := bytes.Repeat(append(marker, '\n'), 10000)
	ct, _ := sealBytes(t, plain)
	if bytes.Contains(ct, marker) {
		t.Fatal("the marker appears in the ciphertext")
	}
}

func TestIsEncrypted(t *testing.T) {
	for s, want := range map[string]bool{"age-encryption.org/v1\n-> X25519": true, "\x1f\x8b\x08": false, "age": false, "": false} {
		if IsEncrypted([]byte(s)) != want {
			t.Errorf("IsEncrypted(%q) != %v", s, want)
		}
	}
}

func TestReadIdentity(t *testing.T) {
	id, _, _ := NewKey()
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("# created by test\n"+id+"\n\n"), 0o600)
	if got, err := ReadIdentity(good, nil); err != nil || !strings.Contains(got, id) {
		t.Fatalf("owner-only file: %q, %v", got, err)
	}
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte(id), 0o600)
	os.Chmod(open, 0o640)
	if _, err := ReadIdentity(open, nil); err == nil || !strings.Contains(err.Error(), "owner only") {
		t.Fatalf("group-readable file: %v", err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(good, link)
	if _, err := ReadIdentity(link, nil); err == nil {
		t.Fatal("a symlink was followed")
	}
	if got, err := ReadIdentity("-", strings.NewReader("  "+id+"\n")); err != nil || got != id {
		t.Fatalf("stdin: %q, %v", got, err)
	}
	for _, in := range []string{"", "\n", "not a key"} {
		if _, err := ReadIdentity("-", strings.NewReader(in)); err == nil {
			t.Errorf("stdin %q accepted", in)
		} else if strings.Contains(err.Error(), "not a key") {
			t.Errorf("error quotes the input: %v", err)
		}
	}
}

// BenchmarkSeal64MiB measures encryption then decryption of 64 MiB; the
// MB/s figure counts the plaintext once.
func BenchmarkSeal64MiB(b *testing.B) {
	plain := randomBytes(b, 64<<20)
	id, rcpt, _ := NewKey()
	ct := bytes.NewBuffer(make([]byte, 0, len(plain)+len(plain)/1000+1024))
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		ct.Reset()
		w, _ := Encrypt(ct, rcpt)
		w.Write(plain)
		w.Close()
		r, err := Decrypt(bytes.NewReader(ct.Bytes()), id)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(plain)) {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkEncrypt64MiB and BenchmarkDecrypt64MiB measure each direction.
func BenchmarkEncrypt64MiB(b *testing.B) {
	plain := randomBytes(b, 64<<20)
	_, rcpt, _ := NewKey()
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		w, _ := Encrypt(io.Discard, rcpt)
		w.Write(plain)
		w.Close()
	}
}

func BenchmarkDecrypt64MiB(b *testing.B) {
	ct, id := sealBytes(b, randomBytes(b, 64<<20))
	b.SetBytes(64 << 20)
	for b.Loop() {
		r, _ := Decrypt(bytes.NewReader(ct), id)
		io.Copy(io.Discard, r)
	}
}
