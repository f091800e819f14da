package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
	"time"

	g "github.com/anacrolix/generics"
	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	pp "github.com/anacrolix/torrent/peer_protocol"
	"github.com/anacrolix/torrent/storage"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// fileStorage stores the torrent's data exactly at path (a single-file
// torrent) or below the directory path (a multi-file one). Piece completion
// is kept in memory only: what is on disk is verified by hashing, never
// trusted because of its size or an old database.
//
// With known set, every piece starts as known-incomplete (a fresh
// download); otherwise as unknown, to be settled by verifyAll.
func fileStorage(path string, info *metainfo.Info, ih metainfo.Hash, partFiles, known bool) storage.ClientImplCloser {
	base := filepath.Base(path)
	pc := storage.NewMapPieceCompletion()
	if known {
		for i := range info.NumPieces() {
			_ = pc.Set(metainfo.PieceKey{InfoHash: ih, Index: i}, false)
		}
	}
	single := len(info.Files) == 0
	return storage.NewFileOpts(storage.NewFileClientOpts{
		ClientBaseDir:   filepath.Dir(path),
		TorrentDirMaker: func(dir string, _ *metainfo.Info, _ metainfo.Hash) string { return dir },
		FilePathMaker: func(o storage.FilePathMakerOpts) string {
			if single {
				return base
			}
			return filepath.Join(append([]string{base}, o.File.BestPath()...)...)
		},
		PieceCompletion: pc,
		UsePartFiles:    g.Some(partFiles),
	})
}

// maxChunk is the largest request a default peer sends: one 1 MiB piece.
const maxChunk = 1 << 20

// addTorrent adds tf to the client without an automatic initial check: we
// verify explicitly where data may already exist, and know when it is done.
//
// chunk is the request size; 0 asks for a whole piece (up to maxChunk) at
// a time. anacrolix keeps only a few requests in flight per connection
// (it refills when they are all answered, doubling from the last refill),
// so on a link with any queueing delay the bytes in flight, not the
// bandwidth, bound a connection. Measured on the shaped fleet (go tool
// mage bench methods=murder n=5,10, 128 MiB, 100 Mbit/s, 1 MiB pieces):
// 64 KiB requests 21.9-23.7 / 29.3 s, 128 KiB 21.2 / 29.9 s, 256 KiB
// 19.7 / 26.1 s, 1 MiB 18.5 / 23.8 s. Every client in a murder swarm is a
// murder agent, which serves any request up to maxChunk; other clients do
// not (aria2c 1.36 serves 64 KiB requests but not 128 KiB, Transmission
// only 16 KiB), so a peer downloading from them needs --chunk-size 16384.
func addTorrent(cl *torrent.Client, tf *torrentFile, chunk int, ownAnnounce bool) (*torrent.Torrent, error) {
	spec, err := torrent.TorrentSpecFromMetaInfoErr(tf.mi)
	if err != nil {
		return nil, fmt.Errorf("torrent %s: %w", tf.path, err)
	}
	if ownAnnounce {
		spec.Trackers = nil // the announcer (announce.go) does it
	}
	spec.DisableInitialPieceCheck = true
	if chunk <= 0 {
		chunk = int(min(tf.info.PieceLength, maxChunk))
	}
	spec.ChunkSize = pp.Integer(chunk)
	t, _, err := cl.AddTorrentSpec(spec)
	if err != nil {
		return nil, fmt.Errorf("torrent %s: %w", tf.path, err)
	}
	<-t.GotInfo()
	return t, nil
}

// verifyAll hashes every piece, two at a time (the hashers anacrolix runs
// per torrent), and returns the number of pieces that are not complete.
func verifyAll(ctx context.Context, t *torrent.Torrent) (int, error) {
	// gctx ends when Wait returns; the settling below needs ctx.
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(2)
	for i := range t.NumPieces() {
		eg.Go(func() error { return t.Piece(i).VerifyDataContext(gctx) })
	}
	if err := eg.Wait(); err != nil {
		return 0, err
	}
	missing := 0
	for i := range t.NumPieces() {
		complete, err := settledComplete(ctx, t, i)
		if err != nil {
			return 0, err
		}
		if !complete {
			missing++
		}
	}
	return missing, nil
}

// settledComplete waits until piece i's verification result is recorded and
// returns it. anacrolix counts a verification (which ends VerifyDataContext)
// before it marks the piece in storage and sets its completion, so a piece
// just verified may still read as incomplete for a moment: without this wait
// the seeder intermittently refused a good file ("1 of 64 pieces fail").
func settledComplete(ctx context.Context, t *torrent.Torrent, i int) (bool, error) {
	for {
		ps := t.PieceState(i)
		if !ps.Marking && !ps.Checking {
			return ps.Complete, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// partPath is where anacrolix keeps a download of path until it is
// complete (its part files).
func partPath(path string) string { return path + ".part" }

// prepareTarget readies path for a download of size bytes. Data already at
// path or path.part is kept for verification (a retry fetches only what is
// missing); a finished file at path is moved to path.part because anacrolix
// would take a right-sized file there as complete without hashing it.
// Otherwise path.part is created at full size now, so a full disk is a
// clear error before any transfer rather than a failed write halfway.
//
// Both names usually sit in a shared /tmp, where another local user could
// plant them: anything but our own regular file with one link is refused,
// never written through. In a sticky directory nobody else can replace a
// file of ours afterwards, so the check holds until the download renames it.
func prepareTarget(path string, size int64) (resume bool, err error) {
	part := partPath(path)
	pfi, perr := os.Lstat(part)
	fi, ferr := os.Lstat(path)
	if ferr == nil {
		if err := checkOwnFile(path, fi); err != nil {
			return false, err
		}
	}
	if perr == nil {
		if err := checkOwnFile(part, pfi); err != nil {
			return false, err
		}
	}
	if err := tightenExisting(path, ferr, part, perr); err != nil {
		return false, err
	}
	switch {
	case ferr == nil && perr == nil:
		if err := os.Remove(path); err != nil {
			return false, err
		}
		return true, nil
	case ferr == nil:
		return true, os.Rename(path, part)
	case !errors.Is(ferr, fs.ErrNotExist):
		return false, ferr
	case perr == nil:
		return true, nil
	}
	return false, preallocate(part, size)
}

// tightenExisting makes the download files that exist (err nil) owner-only:
// an earlier agent created them 0644, and anacrolix leaves a completed
// file 0444.
func tightenExisting(path string, ferr error, part string, perr error) error {
	for _, f := range []struct {
		p   string
		err error
	}{{path, ferr}, {part, perr}} {
		if f.err == nil {
			if err := os.Chmod(f.p, archivePerm); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkOwnFile refuses a download file we did not create: a symlink,
// device or directory (writing would go elsewhere), a file of another user,
// or one with other hard links (writing would change that other name too).
func checkOwnFile(path string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s exists and is not a regular file but a symlink; refusing to write through it", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s exists and is not a regular file", path)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s belongs to uid %d, not to us (uid %d); refusing to write to it", path, st.Uid, os.Geteuid())
	}
	if st.Nlink > 1 {
		return fmt.Errorf("%s has %d hard links; refusing to write to it", path, st.Nlink)
	}
	return nil
}

func preallocate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, archivePerm)
	if err != nil {
		return err
	}
	// Explicitly: a umask such as 0277 would leave it unwritable.
	err = f.Chmod(archivePerm)
	if err == nil {
		err = fallocate(f, size)
	}
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		err = f.Truncate(size) // sparse, on filesystems without fallocate
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		if errors.Is(err, unix.ENOSPC) {
			return fmt.Errorf("not enough space for %s (%d bytes): disk full", path, size)
		}
		return fmt.Errorf("allocating %s: %w", path, err)
	}
	return nil
}

// swarm is a client with the one torrent it serves.
type swarm struct {
	cl    *torrent.Client
	t     *torrent.Torrent
	st    storage.ClientImplCloser
	log   io.Writer   // the process's log (a detached worker's log file)
	src   *sources    // a peer's: where its bytes came from
	out   *unanswered // a peer's: connections with requests out
	hints hints       // the seeder's hints (hints.go), sent or taken
	ann   *announcer  // nil: anacrolix announces (a udp:// tracker)
	ln    io.Closer   // the TLS peer listener (--require-encryption), or nil
	// conflict is where a storage that checks each piece's SHA-256
	// (sha256Pieces) tells of a torrent that contradicts itself; nil when
	// anacrolix checks SHA-1 alone.
	conflict <-chan error
}

// checked reports whether every piece anacrolix completes has passed the
// SHA-256 the torrent records for it.
func (s *swarm) checked() bool { return s.conflict != nil }

// joinSwarm stores tf's data at file (see fileStorage), starts a client
// announcing ip and adds the torrent.
func joinSwarm(env *runEnv, o *seedOpts, tf *torrentFile, ip net.IP, partFiles, known bool) (*swarm, error) {
	tuneGC()
	st := checkSHA256(fileStorage(o.file, &tf.info, tf.mi.HashInfoBytes(), partFiles, known), tf, o.file)
	cfg := clientConfig(o.swarm, ip, st, env.stderr)
	src, out := &sources{}, &unanswered{}
	var h hints
	if partFiles { // a peer
		cfg.Bep20 = peerBep20
		src.watch(cfg)
		out.watch(cfg)
		ph := &peerHints{}
		ph.watch(cfg)
		h = ph
	} else {
		cfg.Bep20 = seederBep20
		sh := &seederHints{}
		sh.watch(cfg, tf.info.NumPieces())
		h = sh
	}
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("BitTorrent client: %w", err)
	}
	sw := &swarm{cl: cl, st: st, log: env.stderr, src: src, out: out, hints: h}
	if c, ok := st.(*sha256Pieces); ok {
		sw.conflict = c.conflict
	}
	if o.swarm.requireEncryption {
		if sw.ln, err = usePeerTLS(cl, tf.mi, o.swarm.port, o.swarm.ipv6); err != nil {
			sw.close()
			return nil, err
		}
	}
	own := ownAnnounce(tf)
	if sw.t, err = addTorrent(cl, tf, o.swarm.chunk, own); err != nil {
		sw.close()
		return nil, err
	}
	go h.run(sw.t)
	if own {
		if sw.ann, err = newAnnouncer(tf, cl, sw.t, ip); err != nil {
			sw.close()
			return nil, err
		}
	}
	return sw, nil
}

// noteBadPieces logs pieces that failed their hash check since the last
// count, with the peers banned for sending them (anacrolix drops them), and
// returns the new count.
func (s *swarm) noteBadPieces(last, now int64) int64 {
	if now > last {
		ips := s.cl.BadPeerIPs()
		for i, ip := range ips {
			if a, err := netip.ParseAddr(ip); err == nil {
				ips[i] = a.Unmap().String() // anacrolix keeps IPv4 as ::ffff:a.b.c.d
			}
		}
		fmt.Fprintf(s.log, "%s: %d piece(s) failed the hash check and were discarded; banned peers: %v\n",
			time.Now().Format(time.RFC3339), now-last, ips)
	}
	return now
}

// dropSilent closes the connections that have held requests without
// reading a byte for longer than limit, and logs them.
func (s *swarm) dropSilent(limit time.Duration) {
	for _, c := range s.out.check(time.Now(), limit) {
		var addr any = "a peer"
		if p, ok := c.(*torrent.Peer); ok {
			addr = p.RemoteAddr // set when the connection is made, never changed
		}
		fmt.Fprintf(s.log, "%s: dropped the connection to %v: requests unanswered for %v\n",
			time.Now().Format(time.RFC3339), addr, limit)
	}
}

func (s *swarm) close() {
	s.hints.stop()
	if s.ann != nil {
		s.ann.stop()
	}
	closeClient(s.cl)
	// After the client: its accept loop ends on the listener's error only
	// once the client is closed.
	if s.ln != nil {
		s.ln.Close()
	}
	s.st.Close()
}
