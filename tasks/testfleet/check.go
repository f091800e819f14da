package testfleet

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// Check reports why a fleet with options o cannot be created on this
// machine: not root, or a required program is missing. It returns nil if
// all prerequisites are there.
func Check(o Options) error {
	if os.Geteuid() != 0 {
		return errors.New("testfleet: needs root (network and mount namespaces)")
	}
	sshd := o.SSHD
	if sshd == "" {
		sshd = "/usr/sbin/sshd"
	}
	if st, err := os.Stat(sshd); err != nil || st.Mode()&0o111 == 0 {
		return fmt.Errorf("testfleet: sshd %s not installed", sshd)
	}
	if err := CheckCongestion(o.Congestion); err != nil {
		return err
	}
	tools := []string{"ip", "unshare", "nsenter", "mount", "sh", "sleep"}
	if o.Rate != "" {
		tools = append(tools, "tc")
	}
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("testfleet: %s not found: %w", t, err)
		}
	}
	return nil
}
