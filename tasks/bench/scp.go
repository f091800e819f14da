package bench

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/murderfleet/murder/tasks/testfleet"
)

// extractScript verifies archive $1 against SHA-256 $2, extracts it next
// to destination $3 and renames it into place, as murder's peers do: a
// destination is complete or absent, and its change time is the moment
// the copy was done.
const extractScript = `set -eu
tgz=$1 sum=$2 dest=$3
echo "$sum  $tgz" | sha256sum -c --status -
part=$(dirname "$dest")/.$(basename "$dest").part
rm -rf "$part"
mkdir -p "$part"
tar -xzf "$tgz" -C "$part"
mv -T "$part" "$dest"
`

// scpMethod is the central copy: the seeder sends the archive to every
// receiver at once with OpenSSH scp, then each receiver verifies and
// extracts it.
type scpMethod struct{ b *bench }

func (*scpMethod) prepare(context.Context, *transfer) error { return nil }
func (*scpMethod) finish(*transfer) error                   { return nil }
func (*scpMethod) close() error                             { return nil }

func (s *scpMethod) run(ctx context.Context, t *transfer) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, h := range t.receivers {
		g.Go(func() error { return s.copyTo(ctx, h, t.tag) })
	}
	return g.Wait()
}

// copyTo runs scp inside the seeder's namespaces, with the fleet's
// identity and strictly checked host keys, then extracts on h.
func (s *scpMethod) copyTo(ctx context.Context, h *testfleet.Host, tag string) error {
	f := s.b.fleet
	args := []string{"-q", "-B", "-F", "/dev/null", "-i", f.IdentityFile(),
		"-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + f.KnownHostsFile(),
		"-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
		archive, "root@" + h.IP + ":" + archive}
	if _, err := s.b.seeder().Exec(ctx, "scp", args...); err != nil {
		return fmt.Errorf("scp to %s: %w", h.Name, err)
	}
	if _, err := h.Exec(ctx, "sh", "-c", extractScript, "sh", archive, s.b.sum, destDir+"/"+tag); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	return nil
}
