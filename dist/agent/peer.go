package agent

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/murderfleet/murder/dist/archive"
	"github.com/murderfleet/murder/dist/seal"
	"github.com/murderfleet/murder/dist/torrentcheck"
	"github.com/murderfleet/murder/internal/agentproto"
	"github.com/murderfleet/murder/internal/ctxio"
)

// runPeer: peer TORRENT FILE [IP]. The download runs in a detached worker
// that reports here; this process exits 0 once the worker holds the
// verified file, and the worker keeps seeding for --seed-time (the
// original forked a 30 s seeder). One process does both, so the swarm keeps
// its connections to this peer when it completes.
func runPeer(ctx context.Context, env *runEnv, args []string) error {
	o, err := parsePeer(args)
	if err != nil {
		return err
	}
	identity, err := readPeerStdin(ctx, o, env.stdin)
	if err != nil {
		return err
	}
	if _, err := loadTorrent(o.torrent); err != nil {
		return err
	}
	if err := checkDestDir(o.file); err != nil {
		return err
	}
	d := detached{kind: "peer", tag: o.tag, runDir: o.runDir, args: o.args, noWait: o.noWait}
	if identity != "" {
		d.stdin = []byte(identity + "\n")
	}
	if err := retireSeedingPeer(d); err != nil {
		return err
	}
	os.Remove(d.statusPath()) // a status left by an earlier run must not answer for this one
	err = startDetached(ctx, env, d)
	if errors.Is(err, errSessionGone) {
		// The worker is stopped. The controller's stop and clean may have
		// run before it started, so what it wrote goes now, as they would
		// have removed it: the partial download, and the .torrent this
		// start was sent.
		os.Remove(partPath(o.file))
		if o.torrentStdin {
			os.Remove(o.torrent)
		}
	}
	return err
}

func parsePeer(args []string) (*seedOpts, error) {
	o := &seedOpts{}
	fs := flag.NewFlagSet("peer", flag.ContinueOnError)
	o.register(fs, defaultMaxConns)
	fs.DurationVar(&o.stall, "stall-timeout", 2*time.Minute, "fail when the download makes no progress for this long")
	fs.DurationVar(&o.seedTime, "seed-time", 30*time.Second, "keep seeding this long after the download completes")
	fs.BoolVar(&o.noWait, "no-wait", false, "return once the download is under way; follow it with `status peer TAG`")
	fs.BoolVar(&o.torrentStdin, "torrent-stdin", false, "first write TORRENT from stdin (checked, owner-only, atomically): upload and start in one SSH session")
	fs.StringVar(&o.extractTo, "extract", "", "once FILE is verified, extract it into this directory (or file) before reporting done")
	fs.StringVar(&o.extractMode, "extract-mode", "tree", "how --extract treats its destination, as extract's flags: tree, merge, replace or file")
	fs.BoolVar(&o.identityStdin, "identity-stdin", false, "the age identity that --extract decrypts with is stdin's first line (before the torrent of --torrent-stdin)")
	rest, err := parseFlags(fs, args, 2, 3)
	if err != nil {
		return nil, err
	}
	if err := o.swarm.check(); err != nil {
		return nil, err
	}
	switch {
	case !slices.Contains([]string{"tree", "merge", "replace", "file"}, o.extractMode):
		return nil, usagef("--extract-mode %q: want tree, merge, replace or file", o.extractMode)
	case o.identityStdin && o.extractTo == "":
		return nil, usagef("--identity-stdin needs --extract")
	}
	o.positional(rest, args)
	return o, nil
}

// readPeerStdin reads what the controller sends a starting peer: the age
// identity's line, then the .torrent, as their flags ask.
func readPeerStdin(ctx context.Context, o *seedOpts, stdin io.Reader) (identity string, err error) {
	br := bufio.NewReader(stdin)
	if o.identityStdin {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("reading the identity on stdin: %w", err)
		}
		if identity, err = seal.ReadIdentity("-", strings.NewReader(line)); err != nil {
			return "", err
		}
	}
	if o.torrentStdin {
		if err := writeTorrentFrom(ctx, br, o.torrent); err != nil {
			return "", err
		}
	}
	return identity, nil
}

// checkDestDir fails early when FILE's directory does not exist or is not
// writable, before a worker starts.
func checkDestDir(file string) error {
	dir := filepath.Dir(file)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("destination %s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".murder-probe-*")
	if err != nil {
		return fmt.Errorf("destination %s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func peerWork(ctx context.Context, env *runEnv, o *seedOpts, rep *reporter) (err error) {
	rep.status = detached{kind: "peer", tag: o.tag, runDir: o.runDir}.statusPath()
	release := func() {}
	var result string
	defer func() {
		// The result first: `status` takes a missing pid file beside a
		// progress line for a worker that died without one.
		rep.finish(result, err)
		release()
	}()
	release, err = holdPidFile(o.runDir, "peer", o.tag)
	if err != nil {
		release = func() {}
		return err
	}
	tf, err := loadTorrent(o.torrent)
	if err != nil {
		return err
	}
	ip, err := announceIP(o.ip, tf.announceURL())
	if err != nil {
		return err
	}
	resume, err := prepareTarget(o.file, tf.info.TotalLength())
	if err != nil {
		return err
	}
	sw, err := joinSwarm(env, o, tf, ip, true, !resume)
	if err != nil {
		return err
	}
	defer sw.close()
	if result, err = fetchAndExtract(ctx, o, tf, sw, ip, resume, rep); err != nil {
		return err
	}
	rep.finish(result, nil)
	ctxio.Sleep(ctx, o.seedTime)
	return nil
}

// fetchAndExtract downloads and verifies the torrent, extracts it when
// --extract asks, and returns the result line: when each step ended, and
// where the bytes came from. The extraction runs alongside the download,
// reading each piece as it is verified in turn (inOrder), and checks the
// archive's SHA-256 as it reads it, before anything reaches the
// destination: only what is left when the last piece arrives remains to
// be done then.
func fetchAndExtract(ctx context.Context, o *seedOpts, tf *torrentFile, sw *swarm, ip net.IP, resume bool, rep *reporter) (string, error) {
	if o.extractTo == "" {
		if err := download(ctx, o, tf, sw, ip, resume, true, rep); err != nil {
			return "", err
		}
		return sw.src.done().Format(), nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	extracted := make(chan error, 1)
	var reached atomic.Int64
	go func() { extracted <- extractDownload(ctx, o, tf, sw, &reached) }()
	if err := download(ctx, o, tf, sw, ip, resume, false, rep); err != nil {
		cancel()
		<-extracted
		return "", err
	}
	res := sw.src.done()
	res.Behind = tf.info.TotalLength() - reached.Load()
	rep.progress("extracting into %s", o.extractTo)
	if err := <-extracted; err != nil {
		return "", fmt.Errorf("extract: %w", err)
	}
	res.Extracted = time.Since(sw.src.start)
	return res.Format(), nil
}

// extractDownload is peer --extract: what `extract` would do with the
// verified download, done by the peer itself as the pieces arrive, so a
// fleet extracts the moment each host is ready instead of waiting for the
// controller.
// reached follows how much of the download it has read.
func extractDownload(ctx context.Context, o *seedOpts, tf *torrentFile, sw *swarm, reached *atomic.Int64) error {
	want, err := torrentSums(o.file, tf)
	if err != nil {
		return err
	}
	if sw.checked() {
		// Each piece the extraction reads has passed the SHA-256 the
		// torrent records for it (sha256Pieces): the whole-file digest,
		// over the same bytes, is not computed again.
		want.wants = nil
	}
	r, open, release, err := openDownload(ctx, o, sw.t, sw.checked(), reached)
	if err != nil {
		return err
	}
	defer release()
	br := bufio.NewReaderSize(r, 1<<20) // pieces are read through anacrolix's storage: few, large reads
	if o.extractMode == "file" {
		return extractFileFrom(ctx, br, o.file, o.extractTo, open, want)
	}
	return extractTreeFrom(ctx, br, o.file, o.extractTo, open, want,
		treeMode{merge: o.extractMode == "merge", replace: o.extractMode == "replace"})
}

// download fetches and verifies the whole torrent; hashed: and checks the
// whole file's SHA-256 too.
func download(ctx context.Context, o *seedOpts, tf *torrentFile, sw *swarm, ip net.IP, resume, hashed bool, rep *reporter) error {
	t := sw.t
	start := time.Now()
	if resume {
		missing, err := verifyAll(ctx, t)
		if err != nil {
			return fmt.Errorf("verifying data already at %s: %w", o.file, err)
		}
		rep.progress("resume verified=%d missing=%d pieces=%d", t.NumPieces()-missing, missing, t.NumPieces())
	}
	if err := sw.preflight(ctx, tf, ip, t.BytesMissing()); err != nil {
		return err
	}
	rep.started(o.noWait)
	writeErr := make(chan error, 1)
	t.SetOnWriteChunkError(func(err error) {
		select {
		case writeErr <- err:
		default:
		}
	})
	// Rarest first, ties broken at random (anacrolix): with no cap on the
	// pieces considered (clientConfig) peers start apart by themselves.
	// Random start tiers on top were measured slightly worse (n=5 / n=10,
	// 256 MiB: 30.4 / 33.5 s with four tiers, 29.3 / 32.5 s without).
	t.DownloadAll()
	stopWriteback := startWriteback(ctx, partPath(o.file), writebackEvery) // one file: murder's archive
	err := awaitComplete(ctx, o, sw, writeErr, rep)
	stopWriteback()
	if err != nil {
		return err
	}
	if err := finishFile(ctx, o.file, tf, hashed); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	rep.progress("complete have=%d total=%d seconds=%.3f", tf.info.TotalLength(), tf.info.TotalLength(), secs)
	return nil
}

// awaitComplete waits for every piece, reporting progress each second, and
// fails when nothing arrives for the stall timeout or a write fails.
func awaitComplete(ctx context.Context, o *seedOpts, sw *swarm, writeErr <-chan error, rep *reporter) error {
	t := sw.t
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var bad int64
	last, lastChange := t.BytesCompleted(), time.Now()
	total := t.Length()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted with %d of %d bytes: %w", t.BytesCompleted(), total, ctx.Err())
		case <-t.Complete().On():
			return nil
		case err := <-writeErr:
			return fmt.Errorf("writing %s: %w", o.file, diskError(err))
		case err := <-sw.conflict:
			return err
		case <-tick.C:
		}
		have := t.BytesCompleted()
		if have != last {
			last, lastChange = have, time.Now()
		}
		st := t.Stats()
		bad = sw.noteBadPieces(bad, st.PiecesDirtiedBad.Int64())
		sw.dropSilent(unansweredAfter(o.stall))
		if err := rep.progress("progress have=%d total=%d peers=%d seeds=%d down=%d up=%d bad=%d",
			have, total, st.ActivePeers, st.ConnectedSeeders, st.BytesReadUsefulData.Int64(), st.BytesWrittenData.Int64(), bad); err != nil {
			return fmt.Errorf("the task that started this peer is gone (%v); stopping", err)
		}
		if idle := time.Since(lastChange); idle > o.stall {
			return fmt.Errorf("swarm stalled: no data for %v (have %d of %d bytes, %d peers connected, %d seeds); is the seeder running? (a seeder that is not a murder agent needs --chunk-size 16384)",
				idle.Round(time.Second), have, total, st.ActivePeers, st.ConnectedSeeders)
		}
	}
}

// finishFile makes sure the completed data is at FILE (anacrolix renames
// FILE.part when the last piece is written), owner-only, and checks the
// SHA-256 that make-torrent recorded, if any.
func finishFile(ctx context.Context, file string, tf *torrentFile, hashed bool) error {
	if err := awaitPromotion(ctx, file); err != nil {
		return err
	}
	if tf.ext.SHA256 == "" || !hashed {
		return nil
	}
	sum, err := ctxio.FileSHA256(ctx, file)
	if err != nil {
		return err
	}
	if sum != tf.ext.SHA256 { // both canonical: hex.EncodeToString, torrentcheck.ParseDigest
		return fmt.Errorf("%s: SHA-256 %s differs from %s recorded in the torrent", file, sum, tf.ext.SHA256)
	}
	return nil
}

// awaitPromotion waits until anacrolix has renamed FILE.part to FILE and
// made it read-only (mode 0444, for everyone), then makes it owner-only.
// The rename and the chmod may happen in another goroutine after the
// torrent reports completion, so a chmod of ours done too early would be
// undone; a file still writable after the deadline (an anacrolix that no
// longer changes the mode) is made owner-only all the same.
func awaitPromotion(ctx context.Context, file string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		fi, err := os.Stat(file)
		if err == nil && (fi.Mode().Perm()&0o222 == 0 || time.Now().After(deadline)) {
			break
		}
		if err != nil && time.Now().After(deadline) {
			return fmt.Errorf("download complete but %s did not appear", file)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.Chmod(file, archivePerm); err != nil {
		return fmt.Errorf("making %s owner-only: %w", file, err)
	}
	return nil
}

// diskError names the usual cause of a failed write; nil stays nil.
func diskError(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("disk full: %w", err)
	}
	return err
}

// retireSeedingPeer stops an earlier peer of the same tag that has finished
// and only lingers to seed: a new run of the same tag replaces it. One
// still downloading is left alone (startDetached then reports it running).
func retireSeedingPeer(d detached) error {
	b, err := os.ReadFile(d.statusPath())
	if err != nil || !agentproto.IsDone(strings.TrimSpace(string(b))) {
		return nil
	}
	if err := stopOne(d.pidPath(), 5*time.Second); err != nil && !errors.Is(err, errNotRunning) {
		return fmt.Errorf("stopping the earlier peer of tag %q: %w", d.tag, err)
	}
	return nil
}

// writeTorrentFrom writes the .torrent the controller sends on stdin to
// path: checked as any torrent is, owner-only, under a fresh name renamed
// into place, so a planted file or link at path is replaced, never
// written through.
func writeTorrentFrom(ctx context.Context, stdin io.Reader, path string) error {
	b, err := io.ReadAll(io.LimitReader(stdin, torrentcheck.MaxSize+1))
	if err != nil {
		return fmt.Errorf("reading the torrent on stdin: %w", err)
	}
	if len(b) > torrentcheck.MaxSize {
		return fmt.Errorf("the torrent on stdin is larger than %d bytes", torrentcheck.MaxSize)
	}
	if _, err := parseTorrent(b, "on stdin"); err != nil {
		return err
	}
	return archive.WriteFile(ctx, path, 0o600, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
