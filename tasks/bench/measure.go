package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/murderfleet/murder/tasks/testfleet"
)

// userHZ is the unit of /proc/stat: USER_HZ, 100 on every Linux
// architecture Go supports.
const userHZ = 100

// busyJiffies returns the machine's busy time from the "cpu" line of
// /proc/stat: user, nice, system, irq and softirq. Idle, iowait and steal
// are not work done here; guest time is already counted in user.
func busyJiffies() (int64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("cpu time: %w", err)
	}
	return parseStat(b)
}

func parseStat(b []byte) (int64, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("cpu time: unexpected /proc/stat line %q", line)
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7} { // user nice system (idle iowait) irq softirq
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpu time: /proc/stat field %d: %w", i, err)
		}
		busy += v
	}
	return busy, nil
}

// counters returns the bytes received and sent by eth0 in the network
// namespace of pid, as /proc/PID/net/dev shows them.
func counters(pid int) (rx, tx int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("network counters: %w", err)
	}
	return parseNetDev(b, "eth0")
}

// parseNetDev reads the rx and tx bytes of dev from /proc/net/dev's
// format: "  eth0: rx_bytes rx_packets ... (8 receive fields) tx_bytes ...".
func parseNetDev(b []byte, dev string) (rx, tx int64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(name) != dev {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 9 {
			break
		}
		if rx, err = strconv.ParseInt(f[0], 10, 64); err == nil {
			tx, err = strconv.ParseInt(f[8], 10, 64)
		}
		return rx, tx, err
	}
	return 0, 0, fmt.Errorf("network counters: no %s in /proc/net/dev", dev)
}

// changed returns the change time of path: a directory renamed into
// place gets it at the rename, i.e. when the copy became complete.
func changed(path string) (time.Time, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return time.Time{}, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return time.Unix(st.Ctim.Sec, st.Ctim.Nsec), nil
}

// machine describes this machine for the results.
func machine() Machine {
	kernel := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	return Machine{CPUs: runtime.NumCPU(), Kernel: kernel, CC: testfleet.MachineCongestion()}
}

// sample is the counters read at the start and the end of a transfer.
type sample struct {
	at   time.Time
	tx   int64   // the seeder's
	rx   []int64 // each receiver's
	busy int64
}

// snapshot reads the counters; hosts are named by their holder pids.
func snapshot(seederPid int, receiverPids []int) (sample, error) {
	_, tx, err := counters(seederPid)
	if err != nil {
		return sample{}, err
	}
	rx := make([]int64, len(receiverPids))
	for i, pid := range receiverPids {
		if rx[i], _, err = counters(pid); err != nil {
			return sample{}, err
		}
	}
	busy, err := busyJiffies()
	if err != nil {
		return sample{}, err
	}
	return sample{at: time.Now(), tx: tx, rx: rx, busy: busy}, nil
}
