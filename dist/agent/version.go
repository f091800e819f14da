package agent

import (
	"context"

	"github.com/murderfleet/murder/internal/ctxio"

	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

// Version describes this build: module version, platform and the SHA-256 of
// the executable itself. distribute_files compares the hash with the one of
// the binary it built to skip hosts that already run the identical build;
// the hash changes with any source or toolchain change, unlike a tag.
func Version() string {
	v := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return fmt.Sprintf("murder-agent %s %s/%s sha256:%s", v, runtime.GOOS, runtime.GOARCH, selfHash())
}

func selfHash() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	sum, err := ctxio.FileSHA256(context.Background(), exe)
	if err != nil {
		return "unknown"
	}
	return sum
}
