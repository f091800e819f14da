package agent

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/murderfleet/murder/dist/archive"
	"github.com/murderfleet/murder/dist/seal"
)

// archivePerm is the mode of the archives, their .part and the .torrent
// files the agent writes: only the deploy user reads what it ships, even
// in a shared temp_path and whatever the umask.
const archivePerm = 0o600

// fileDestPerm is the mode of the file that extract --file writes (the
// path_is_file case), like the entries of a tgz, whose modes are applied
// as stored regardless of the umask.
const fileDestPerm = 0o644

// sealWriter returns w itself when recipient is empty, else a writer that
// encrypts to recipient; finish closes the encryption (writing the final
// chunk) and must be called once everything is written.
func sealWriter(w io.Writer, recipient string) (out io.Writer, finish func() error, err error) {
	if recipient == "" {
		return w, func() error { return nil }, nil
	}
	ew, err := seal.Encrypt(w, recipient)
	if err != nil {
		return nil, nil, usagef("--recipient: %v", err)
	}
	return ew, ew.Close, nil
}

// packFileTo writes the single file src to dst (pack --file), encrypted to
// recipient if one is given, owner-only, and returns its size.
func packFileTo(ctx context.Context, dst, src, recipient string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, fmt.Errorf("files_path: %w", err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return 0, fmt.Errorf("files_path: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("files_path %s is not a regular file", src)
	}
	if dfi, err := os.Stat(dst); err == nil && os.SameFile(fi, dfi) {
		return 0, fmt.Errorf("pack --file: %s and %s are the same file", src, dst)
	}
	// A tgz copied as it is may be extracted as the file or unpacked as a
	// tree (as the deploy flow does): the recorded size bounds both.
	counter, cerr := newUnpackedCounter(src, fi.Size(), -1)
	if cerr != nil {
		counter = &unpackedCounter{size: fi.Size(), fixed: true} // age ciphertext: its own size
	}
	var n, unpacked int64
	err = archive.WriteFile(ctx, dst, archivePerm, func(w io.Writer) error {
		sw, finish, err := sealWriter(w, recipient)
		if err != nil {
			counter.result() // ends its reader
			return err
		}
		n, err = archive.CopyTo(ctx, sw, io.TeeReader(in, counter))
		unpacked = counter.result()
		if err != nil {
			return fmt.Errorf("reading %s: %w", src, err)
		}
		return finish()
	})
	return max(n, unpacked), err
}

// payloadOpener turns the archive's bytes into its payload (tgz, or the
// file of pack --file).
type payloadOpener func(io.Reader) (io.Reader, error)

// sealedPayload opens an archive as openPayload does.
func sealedPayload(identity, src string) payloadOpener {
	return func(r io.Reader) (io.Reader, error) { return openPayload(r, identity, src) }
}

// decryptedPayload opens what is already the payload: an archive its
// reader decrypted (chunkReader).
func decryptedPayload(r io.Reader) (io.Reader, error) { return r, nil }

// openPayload returns what the extraction reads from r, ARCHIVE's bytes:
// the plaintext of an age file, decrypted and authenticated as it is read,
// when identity is given, or r itself for a plain archive. An age file
// without an identity, or an identity for a plain archive, is refused: the
// caller asked for something else than what it got.
func openPayload(r io.Reader, identity, src string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(len(seal.Magic)) // a shorter file is simply not encrypted
	encrypted := seal.IsEncrypted(head)
	switch {
	case encrypted && identity == "":
		return nil, fmt.Errorf("archive %s is encrypted: give --identity-file", src)
	case !encrypted && identity != "":
		return nil, fmt.Errorf("archive %s is not encrypted, but --identity-file was given; refusing a plaintext archive", src)
	case !encrypted:
		return br, nil
	}
	pr, err := seal.Decrypt(br, identity)
	if err != nil {
		return nil, fmt.Errorf("archive %s: %w", src, err)
	}
	return pr, nil
}

// extractFile is extract --file: ARCHIVE's payload (decrypted if need be)
// becomes dest, atomically, once the payload is fully read, authenticated
// and ARCHIVE's digest checked.
func extractFile(ctx context.Context, src, dest, identity string, want archiveSums) error {
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		dest = filepath.Join(dest, filepath.Base(src))
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return extractFileFrom(ctx, f, src, dest, sealedPayload(identity, src), want)
}

// extractFileFrom is extractFile reading ARCHIVE (named src) from f, its
// payload opened by open.
func extractFileFrom(ctx context.Context, f io.Reader, src, dest string, open payloadOpener, want archiveSums) (err error) {
	r, verify := want.tee(f)
	err = archive.WriteFile(ctx, dest, fileDestPerm, func(w io.Writer) error {
		pr, err := open(r)
		if err != nil {
			return err
		}
		if _, err := archive.CopyTo(ctx, w, pr); err != nil {
			return err
		}
		return verify()
	})
	if err != nil && ctx.Err() == nil {
		if verr := verify(); verr != nil {
			return verr
		}
	}
	return diskError(err)
}
