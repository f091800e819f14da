package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/murderfleet/murder/dist/archive"
	"github.com/murderfleet/murder/internal/ctxio"
	"github.com/murderfleet/murder/roles"
)

// buildRelease makes the release archive dir/NAME.tgz on this machine from
// repository, as Capistrano's copy strategy did: a plain directory is
// packed as it is; a git repository (a local one, or a URL) contributes the
// tree of branch. .git and copy_exclude patterns are left out. The
// revision is the commit deployed, or for a plain directory the archive's
// SHA-256, for the release's REVISION file.
func buildRelease(ctx context.Context, v roles.Vars, dir, name string) (archivePath, revision string, err error) {
	src, rev, cleanup, err := releaseSource(ctx, v, dir)
	if err != nil {
		return "", "", err
	}
	defer cleanup()
	out := filepath.Join(dir, name+".tgz")
	f, err := os.OpenFile(out, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", err
	}
	exclude := append([]string{".git"}, v.CopyExclude...)
	err = archive.Pack(ctx, f, src, exclude)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", fmt.Errorf("packing the release: %w", err)
	}
	if rev == "" {
		rev, err = ctxio.FileSHA256(ctx, out)
	}
	return out, rev, err
}

// releaseSource returns a directory holding the tree to release, and the
// commit it is ("" for a plain directory).
func releaseSource(ctx context.Context, v roles.Vars, dir string) (string, string, func(), error) {
	repo := v.Repository
	noop := func() {}
	if repo == "" {
		return "", "", noop, fmt.Errorf("set repository in murder.yaml: a local directory or a git repository")
	}
	fi, err := os.Stat(repo)
	isDir := err == nil && fi.IsDir()
	if isDir && run(ctx, "git", "-C", repo, "rev-parse", "--git-dir") != nil {
		return repo, "", noop, nil // a plain directory, not a git repository
	}
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		return "", "", noop, err
	}
	cleanup := func() { os.RemoveAll(tree) }
	var rev string
	if isDir {
		rev, err = output(ctx, "git", "-C", repo, "rev-parse", "--verify", v.Branch+"^{commit}")
		if err == nil {
			err = gitArchive(ctx, repo, rev, tree)
		}
	} else if err = gitClone(ctx, repo, v.Branch, tree); err == nil {
		rev, err = output(ctx, "git", "-C", tree, "rev-parse", "HEAD")
	}
	if err != nil {
		cleanup()
		return "", "", noop, err
	}
	return tree, rev, cleanup, nil
}

// gitArchive unpacks `git archive` of ref from a local repository.
func gitArchive(ctx context.Context, repo, ref, into string) error {
	tgz := into + ".tgz"
	defer os.Remove(tgz)
	if err := run(ctx, "git", "-C", repo, "archive", "--format=tar.gz", "-o", tgz, ref, "--"); err != nil {
		return fmt.Errorf("git archive %s of %s: %w", ref, repo, err)
	}
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	os.Remove(into)
	return archive.Extract(ctx, f, into, archive.Options{})
}

// gitClone fetches ref of a remote repository, shallowly.
func gitClone(ctx context.Context, url, ref, into string) error {
	args := []string{"clone", "--quiet", "--depth", "1"}
	if ref != "" && ref != "HEAD" {
		args = append(args, "--branch", ref)
	}
	args = append(args, "--", url, into)
	if err := run(ctx, "git", args...); err != nil {
		return fmt.Errorf("git clone %s: %w", url, err)
	}
	return nil
}

func run(ctx context.Context, name string, args ...string) error {
	_, err := output(ctx, name, args...)
	return err
}

// output runs a local command and returns its standard output, trimmed.
func output(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}
