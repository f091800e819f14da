package agent_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/murderfleet/murder/dist/seal"
)

// marker is a string written into the payload that must never appear in
// an encrypted archive.
const marker = "MURDER-PLAINTEXT-MARKER-c0ffee"

// sealFixture is a tree packed encrypted, its torrent and a key pair.
type sealFixture struct {
	dir, src, tgz, torrent string
	identity, idFile       string
	recipient              string
}

func newSealFixture(t *testing.T) *sealFixture {
	t.Helper()
	dir := t.TempDir()
	f := &sealFixture{dir: dir, src: filepath.Join(dir, "tree"), tgz: filepath.Join(dir, "T.tgz"), torrent: filepath.Join(dir, "T.tgz.torrent")}
	writeFile(t, mkdir(t, f.src), "a.txt", []byte(strings.Repeat(marker+"\n", 5000)))
	randomFile(t, filepath.Join(f.src, "b.bin"), 200<<10) // several 64 KiB chunks
	id, rcpt, err := seal.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	f.identity, f.idFile, f.recipient = id, filepath.Join(dir, "key"), rcpt
	if err := os.WriteFile(f.idFile, []byte(id+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, 30*time.Second, "pack", "--recipient", rcpt, f.src, f.tgz).stdout
	size := unpackedSize(t, out)
	mustRun(t, 30*time.Second, "make-torrent", "--run-dir", filepath.Join(dir, "run"), "--unpacked-size", size, f.tgz, "127.0.0.1:8998", f.torrent)
	return f
}

// unpackedSize returns N from pack's "unpacked-size N" line.
func unpackedSize(t *testing.T, packOut string) string {
	t.Helper()
	for _, l := range strings.Split(packOut, "\n") {
		if n, ok := strings.CutPrefix(l, "unpacked-size "); ok {
			return n
		}
	}
	t.Fatalf("pack printed no unpacked-size line:\n%s", packOut)
	return ""
}

// runStdin runs the agent with stdin as its standard input.
func runStdin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, agentBin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), cmd: cmd}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("murder-agent %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// TestSealedRoundTrip: pack --recipient writes ciphertext (no marker, age
// header), extract --identity-file (a file or stdin) unpacks it, checked
// against the torrent's SHA-256 of the ciphertext.
func TestSealedRoundTrip(t *testing.T) {
	f := newSealFixture(t)
	b, err := os.ReadFile(f.tgz)
	if err != nil {
		t.Fatal(err)
	}
	if !seal.IsEncrypted(b) || bytes.Contains(b, []byte(marker)) {
		t.Fatalf("%s is not age ciphertext free of the marker", f.tgz)
	}
	want, _ := os.ReadFile(filepath.Join(f.src, "a.txt"))
	for _, viaStdin := range []bool{false, true} {
		dest := filepath.Join(t.TempDir(), "dest")
		var r result
		if viaStdin {
			r = runStdin(t, f.identity+"\n", "extract", "--torrent", f.torrent, "--identity-file", "-", f.tgz, dest)
		} else {
			r = run(t, 30*time.Second, "extract", "--torrent", f.torrent, "--identity-file", f.idFile, f.tgz, dest)
		}
		if r.code != 0 {
			t.Fatalf("extract (stdin %v):\n%s", viaStdin, r)
		}
		if got, err := os.ReadFile(filepath.Join(dest, "a.txt")); err != nil || !bytes.Equal(got, want) {
			t.Errorf("stdin %v: a.txt differs (%v)", viaStdin, err)
		}
	}
}

// TestSealedRefusals: a wrong key, a flipped byte, a truncated file, no
// identity and an identity file others can read all fail with one clear
// line and leave the destination absent.
func TestSealedRefusals(t *testing.T) {
	f := newSealFixture(t)
	b, _ := os.ReadFile(f.tgz)
	flipped := bytes.Clone(b)
	flipped[len(b)/2] ^= 1
	writeFile(t, f.dir, "flipped.tgz", flipped)
	writeFile(t, f.dir, "short.tgz", b[:len(b)-1000])
	other, _, _ := seal.NewKey()
	otherFile := filepath.Join(f.dir, "other")
	os.WriteFile(otherFile, []byte(other), 0o600)
	openFile := filepath.Join(f.dir, "open")
	os.WriteFile(openFile, []byte(f.identity), 0o600)
	chmod(t, openFile, 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"wrong key", []string{"--identity-file", otherFile, f.tgz}, "not encrypted to this identity"},
		{"flipped byte", []string{"--identity-file", f.idFile, filepath.Join(f.dir, "flipped.tgz")}, "tampered"},
		{"flipped byte, torrent", []string{"--torrent", f.torrent, "--identity-file", f.idFile, filepath.Join(f.dir, "flipped.tgz")}, "differs from"},
		{"truncated", []string{"--identity-file", f.idFile, filepath.Join(f.dir, "short.tgz")}, "truncated"},
		{"no identity", []string{"--torrent", f.torrent, f.tgz}, "is encrypted: give --identity-file"},
		{"group-readable key", []string{"--identity-file", openFile, f.tgz}, "owner only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "dest")
			r := run(t, 30*time.Second, append(append([]string{"extract"}, tc.args...), dest)...)
			checkOneLineError(t, r, tc.want)
			if _, err := os.Lstat(dest); !os.IsNotExist(err) {
				t.Errorf("destination %s exists after a refused extract (%v)", dest, err)
			}
		})
	}
}

// TestSealedSingleFile: pack --file --recipient encrypts one file as it is
// (the marker is in clear without --recipient, absent with it); extract
// --file decrypts it into place; a plaintext archive given an identity is
// refused, and one without still extracts.
func TestSealedSingleFile(t *testing.T) {
	f := newSealFixture(t)
	plainSrc := filepath.Join(f.src, "a.txt")
	rcpt := f.recipient
	enc, plain := filepath.Join(f.dir, "F.enc"), filepath.Join(f.dir, "F.plain")
	mustRun(t, 30*time.Second, "pack", "--file", "--recipient", rcpt, plainSrc, enc)
	mustRun(t, 30*time.Second, "pack", "--file", plainSrc, plain)
	eb, _ := os.ReadFile(enc)
	pb, _ := os.ReadFile(plain)
	if bytes.Contains(eb, []byte(marker)) || !bytes.Contains(pb, []byte(marker)) {
		t.Fatal("the marker is in the encrypted file, or missing from the plain copy")
	}
	dest := filepath.Join(f.dir, "out.txt")
	mustRun(t, 30*time.Second, "extract", "--file", "--identity-file", f.idFile, enc, dest)
	sameFile(t, plainSrc, dest)
	checkOneLineError(t, run(t, 30*time.Second, "extract", "--file", "--identity-file", f.idFile, plain, dest+"2"), "is not encrypted")
	mustRun(t, 30*time.Second, "extract", "--file", plain, dest+"3")
	sameFile(t, plainSrc, dest+"3")
	checkOneLineError(t, run(t, 30*time.Second, "extract", "--file", enc, dest+"4"), "is encrypted: give --identity-file")
	if _, err := os.Lstat(dest + "4"); !os.IsNotExist(err) {
		t.Errorf("%s4 exists after a refused extract", dest)
	}
}

// TestSealedSwarm: the whole path of an encrypted deploy. The seeder
// seeds ciphertext, a peer downloads and verifies it (owner-only) and
// extracts it with the identity from stdin, checked against the torrent.
func TestSealedSwarm(t *testing.T) {
	s, tree, id, size := newSealedSwarm(t)
	s.startTracker(t)
	s.makeTorrent(t, "--unpacked-size", size)
	s.startSeeder(t)
	p := s.newPeer(t, 1)
	if r := s.download(t, p, 60*time.Second); r.code != 0 {
		t.Fatalf("peer: %s", r)
	}
	wantMode(t, p.dest, 0o600)
	dest := filepath.Join(s.dir, "deployed")
	if r := runStdin(t, id, "extract", "--torrent", s.torrent, "--identity-file", "-", p.dest, dest); r.code != 0 {
		t.Fatalf("extract: %s", r)
	}
	sameFile(t, filepath.Join(tree, "data.bin"), filepath.Join(dest, "data.bin"))
}

// newSealedSwarm is a swarm whose data is a 1 MiB tree packed encrypted
// into T.tgz: it returns the swarm, the tree, the identity that decrypts
// the archive and the unpacked size pack reported. Nothing runs yet.
func newSealedSwarm(t *testing.T) (s *swarm, tree, identity, unpacked string) {
	t.Helper()
	s = newSwarm(t, 1<<20)
	tree = filepath.Dir(s.data)
	id, rcpt, err := seal.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	s.data = filepath.Join(s.dir, "T.tgz")
	return s, tree, id, unpackedSize(t, mustRun(t, 30*time.Second, "pack", "--recipient", rcpt, tree, s.data).stdout)
}
