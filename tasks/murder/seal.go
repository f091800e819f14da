package murder

import (
	"context"
	"errors"
	"fmt"
	"github.com/murderfleet/murder/dist/passkey"
	"os"
	"strconv"
	"strings"

	"github.com/murderfleet/murder/dist/seal"
	"github.com/murderfleet/murder/tasks"
)

// A transfer's secrets. Its token (in the .torrent's announce URL) admits
// the fleet's announces at the tracker; its key encrypts the archive, so
// that the swarm carries ciphertext. Both travel over SSH only: the token
// inside the owner-only .torrent and on make-torrent's stdin, the key on
// each extraction's stdin; the key is kept on this machine beside the
// .torrent, owner-only, until clean_temp_files.

// keyFile is where create_torrent keeps the transfer's key on this machine.
func keyFile(ctx context.Context) string {
	return strings.TrimSuffix(localTorrent(ctx), ".torrent") + ".key"
}

// newTransferKey makes a key for the transfer and returns its public half
// for pack, or "" with encrypt=0.
func newTransferKey(ctx context.Context) (string, error) {
	if !tasks.ArgBool(ctx, "encrypt") {
		return "", nil
	}
	if tasks.DryRun(ctx) {
		return "AGE-RECIPIENT", nil
	}
	identity, recipient, err := seal.NewKey()
	if err != nil {
		return "", err
	}
	path := keyFile(ctx)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("transfer key: %w", err)
	}
	_, err = f.WriteString(identity + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return recipient, err
}

// transferKey is the transfer's key, nil when it has none (encrypt=0, or
// a .torrent made elsewhere).
func transferKey(ctx context.Context) ([]byte, error) {
	b, err := os.ReadFile(keyFile(ctx))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("transfer key: %w", err)
	}
	return b, nil
}

// newToken is a fresh token for the transfer's announces.
func newToken(ctx context.Context) ([]byte, error) {
	if tasks.DryRun(ctx) {
		return []byte("TOKEN"), nil
	}
	tok, err := passkey.New()
	return []byte(tok + "\n"), err
}

// packAndMake packs files_path on the seeder (encrypted to recipient
// unless ""), then makes the .torrent with the token on stdin.
func packAndMake(ctx context.Context, h *tasks.Host, s settings, recipient string, token []byte, trackerHost string, port int) error {
	out, err := h.Capture(ctx, s.packCmd(recipient)...)
	if err != nil {
		return err
	}
	unpacked := int64(-1)
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "unpacked-size "); ok {
			unpacked, _ = strconv.ParseInt(v, 10, 64)
		} else if line != "" {
			h.Info(line)
		}
	}
	return h.WithInput(token).Execute(ctx, s.makeTorrentCmd(trackerHost, port, unpacked)...)
}
