// Package e2e holds murder's end-to-end tests: the real task runner over
// real OpenSSH sshd hosts (network namespaces, see tasks/testfleet), real
// agent processes talking BitTorrent between the hosts, and every copy
// compared byte for byte. The tests need root; without it they skip,
// unless MURDER_REQUIRE_FLEET=1 (CI) makes that a failure.
package e2e
