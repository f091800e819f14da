package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/murderfleet/murder/dist/archive"
	"github.com/murderfleet/murder/dist/seal"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// runPack: pack SRC DST. A directory becomes a .tgz (the original's
// `tar -c -z -C SRC/ -f DST --exclude ".git*" .`); with --file, SRC is
// copied as it is (path_is_file). With --recipient, DST is the age
// encryption of either. DST appears atomically and owner-only.
func runPack(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("pack", flag.ContinueOnError)
	isFile := fs.Bool("file", false, "copy the single file SRC instead of packing a directory")
	recipient := fs.String("recipient", "", "encrypt DST to this age X25519 recipient (age1...)")
	var exclude stringList
	fs.Var(&exclude, "exclude", "glob of names to leave out (repeatable; default .git*)")
	rest, err := parseFlags(fs, args, 2, 2)
	if err != nil {
		return err
	}
	src, dst := rest[0], rest[1]
	if *recipient != "" {
		// Checked before any work, and as a usage error.
		if _, _, err := sealWriter(io.Discard, *recipient); err != nil {
			return err
		}
	}
	if *isFile {
		size, err := packFileTo(ctx, dst, src, *recipient)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "copied %s to %s\nunpacked-size %d\n", src, dst, size)
		return nil
	}
	if len(exclude) == 0 {
		exclude = stringList{".git*"}
	}
	size, err := packTree(ctx, dst, src, *recipient, exclude)
	if err != nil {
		return err
	}
	// The second line is for make-torrent --unpacked-size, which cannot
	// read an encrypted archive.
	fmt.Fprintf(env.stdout, "packed %s into %s\nunpacked-size %d\n", src, dst, size)
	return nil
}

// packTree writes the tgz of directory src to dst, encrypted to recipient
// if one is given, owner-only, and returns its unpacked size.
func packTree(ctx context.Context, dst, src, recipient string, exclude []string) (int64, error) {
	fi, err := os.Stat(src)
	if err != nil {
		return 0, fmt.Errorf("files_path: %w", err)
	}
	if !fi.IsDir() {
		return 0, fmt.Errorf("files_path %s is not a directory (use path_is_file for a single file)", src)
	}
	var size int64
	err = archive.WriteFile(ctx, dst, archivePerm, func(w io.Writer) error {
		sw, finish, err := sealWriter(w, recipient)
		if err != nil {
			return err
		}
		if size, err = archive.PackSize(ctx, sw, src, exclude); err != nil {
			return err
		}
		return finish()
	})
	return size, err
}

// runExtract: extract ARCHIVE DEST. With --torrent (or --sha256), ARCHIVE
// must match the SHA-256 that make-torrent recorded: it is hashed as it is
// unpacked into a staging directory, and nothing reaches DEST unless the
// whole file matches. With --identity-file, ARCHIVE is an age file, whose
// plaintext is authenticated chunk by chunk as it is unpacked.
func runExtract(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	torrentPath := fs.String("torrent", "", "check ARCHIVE against the SHA-256 recorded in this .torrent")
	wantSum := fs.String("sha256", "", "check ARCHIVE against this SHA-256 (hex)")
	isFile := fs.Bool("file", false, "copy ARCHIVE to DEST instead of unpacking it (path_is_file)")
	merge := fs.Bool("merge", false, "unpack into a DEST that already has content (no_tag_directory)")
	replace := fs.Bool("replace", false, "replace DEST's content once the new content is unpacked (unsafe_please_delete)")
	identityFile := fs.String("identity-file", "", "decrypt ARCHIVE with the age identity in this owner-only file (-: read it from stdin)")
	rest, err := parseFlags(fs, args, 2, 2)
	if err != nil {
		return err
	}
	src, dest := rest[0], rest[1]
	want, err := expectedSums(src, *torrentPath, *wantSum)
	if err != nil {
		return err
	}
	identity := ""
	if *identityFile != "" {
		if identity, err = seal.ReadIdentity(*identityFile, env.stdin); err != nil {
			return err
		}
	}
	if *isFile {
		return extractFile(ctx, src, dest, identity, want)
	}
	if err := extractTree(ctx, src, dest, identity, want, treeMode{merge: *merge, replace: *replace}); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "extracted %s into %s\n", src, dest)
	return nil
}

// treeMode is how extract treats a DEST with content.
type treeMode struct{ merge, replace bool }

// extractTree unpacks the tgz ARCHIVE (decrypting it with identity if
// given) into dest.
func extractTree(ctx context.Context, src, dest, identity string, want archiveSums, mode treeMode) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return extractTreeFrom(ctx, f, src, dest, sealedPayload(identity, src), want, mode)
}

// extractTreeFrom is extractTree reading ARCHIVE (named src) from f, its
// payload opened by open.
func extractTreeFrom(ctx context.Context, f io.Reader, src, dest string, open payloadOpener, want archiveSums, mode treeMode) (err error) {
	r, verify := want.tee(f)
	extract := func(d string, merge bool) error {
		pr, err := open(r)
		if err != nil {
			return err
		}
		return archive.Extract(ctx, pr, d, archive.Options{Merge: merge, Verify: verify,
			LimitBytes: want.unpacked >= 0, MaxBytes: want.unpacked})
	}
	if mode.replace {
		err = replaceDir(ctx, func(d string) error { return extract(d, false) }, dest)
	} else {
		err = extract(dest, mode.merge)
	}
	if err != nil && ctx.Err() == nil && !errors.Is(err, archive.ErrNotEmpty) {
		// A corrupt archive usually fails in gzip, tar or the decryption
		// before the end; a checksum mismatch names the cause better.
		if verr := verify(); verr != nil {
			return verr
		}
	}
	return diskError(err)
}

// runPrepare: prepare DEST creates DEST; --empty removes its content first
// (unsafe_please_delete), --require-empty fails when it has content.
func runPrepare(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("prepare", flag.ContinueOnError)
	empty := fs.Bool("empty", false, "remove everything inside DEST")
	requireEmpty := fs.Bool("require-empty", false, "fail when DEST is not empty")
	check := fs.Bool("check", false, "only check: DEST's parent can be created and DEST is absent or (with --require-empty) empty; create nothing")
	rest, err := parseFlags(fs, args, 1, 1)
	if err != nil {
		return err
	}
	dest := filepath.Clean(rest[0])
	if !filepath.IsAbs(dest) || dest == "/" {
		return fmt.Errorf("destination_path %q must be an absolute path below /", rest[0])
	}
	if *check {
		return checkDest(dest, *requireEmpty)
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return fmt.Errorf("destination_path: %w", err)
	}
	if fi, err := os.Lstat(dest); err != nil || !fi.IsDir() {
		return fmt.Errorf("destination_path %s is not a directory", dest)
	}
	if *empty {
		if err := emptyDir(dest); err != nil {
			return err
		}
	}
	if *requireEmpty {
		entries, err := os.ReadDir(dest)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			return fmt.Errorf("destination_path %s is not empty", dest)
		}
	}
	return nil
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	return errors.Join(errs...)
}

// runClean: clean PATH... removes files, ignoring absence; it never
// removes a directory.
func runClean(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("clean", flag.ContinueOnError)
	rest, err := parseFlags(fs, args, 1, -1)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range rest {
		fi, err := os.Lstat(p)
		if errors.Is(err, iofs.ErrNotExist) {
			continue
		}
		if err == nil && fi.IsDir() {
			errs = append(errs, fmt.Errorf("%s is a directory; not removing it", p))
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, iofs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkDest fails early, before any transfer, on a destination that the
// final extraction would refuse, without creating anything.
func checkDest(dest string, requireEmpty bool) error {
	fi, err := os.Lstat(dest)
	if errors.Is(err, iofs.ErrNotExist) {
		return checkCreatable(filepath.Dir(dest))
	}
	if err != nil {
		return fmt.Errorf("destination_path: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("destination_path %s is not a directory", dest)
	}
	if requireEmpty {
		entries, err := os.ReadDir(dest)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			return fmt.Errorf("destination_path %s is not empty", dest)
		}
	}
	return checkCreatable(dest)
}

// checkCreatable walks up to the nearest existing directory and checks
// that it is a writable directory.
func checkCreatable(dir string) error {
	for {
		fi, err := os.Stat(dir)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("destination_path: %s is not a directory", dir)
			}
			return checkDestDir(filepath.Join(dir, "x"))
		}
		if !errors.Is(err, iofs.ErrNotExist) || filepath.Dir(dir) == dir {
			return fmt.Errorf("destination_path: %w", err)
		}
		dir = filepath.Dir(dir)
	}
}
