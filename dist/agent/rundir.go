package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// defaultRunDir is where pid files, logs and the tracker's allow list live
// unless --run-dir says otherwise: "run" beside the agent binary, that is
// inside remote_murder_path, which only murder writes to. A shared /tmp
// would let another local user pre-create or symlink our files.
func defaultRunDir() string {
	exe, err := os.Executable()
	if err != nil {
		return "run"
	}
	return filepath.Join(filepath.Dir(exe), "run")
}

// ensurePrivateDir creates dir with mode 0700 if missing and refuses a
// symlink or a directory that is writable by others.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 || !fi.IsDir() {
		return fmt.Errorf("%s is not a directory (refusing to follow a link)", dir)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s is writable by group or others (mode %v); refusing to keep pid files there", dir, fi.Mode().Perm())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s belongs to uid %d, not to us (uid %d)", dir, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm() != 0o700 {
		// Ours and not writable by others, but maybe readable (an
		// earlier agent, or MkdirAll under an unusual umask): the logs
		// name paths and peers, which are nobody else's business.
		return os.Chmod(dir, 0o700)
	}
	return nil
}

// fileTag turns a tag into a file-name-safe string: letters, digits, '.',
// '_' and '-' stay, anything else becomes %XX, so two tags never share a file.
func fileTag(tag string) string {
	var b strings.Builder
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteByte(c)
		case c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// procName names the pid and log files of a detached process.
func procName(kind, tag string) string {
	if tag == "" {
		return kind
	}
	return kind + "-" + fileTag(tag)
}

// pidRecord is the content of a pid file. The start time (clock ticks since
// boot, from /proc/PID/stat) guards against a recycled pid: stop never
// signals a process that merely inherited the number.
type pidRecord struct {
	Pid   int
	Start uint64
}

func writePidFile(path string, pid int) error {
	start, err := procStartTime(pid)
	if err != nil {
		return err
	}
	tmp := path + ".tmp" + strconv.Itoa(pid)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%d %d\n", pid, start)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func readPidFile(path string) (pidRecord, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return pidRecord{}, err
	}
	var r pidRecord
	if _, err := fmt.Sscanf(string(b), "%d %d", &r.Pid, &r.Start); err != nil || r.Pid <= 0 {
		return pidRecord{}, fmt.Errorf("pid file %s is malformed", path)
	}
	return r, nil
}

// alive reports whether the process recorded in r still runs (same pid and
// same start time).
func (r pidRecord) alive() bool {
	start, state, err := procStat(r.Pid)
	return err == nil && start == r.Start && state != "Z" && state != "X"
}

func procStartTime(pid int) (uint64, error) {
	start, _, err := procStat(pid)
	return start, err
}

// procStat reads the state (field 3) and the start time (field 22) of
// /proc/PID/stat. A zombie counts as gone: it no longer runs, and its
// reaper may be an init that never reaps.
func procStat(pid int) (uint64, string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", err
	}
	// The command name (field 2) may contain spaces and parentheses; the
	// fields after it start behind the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, "", errors.New("malformed /proc stat")
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0, "", errors.New("malformed /proc stat")
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	return start, fields[0], err
}
