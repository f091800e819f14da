// Package envpprof stands in for github.com/anacrolix/envpprof in murder's
// own builds; see ../README.md. The real package, imported by
// anacrolix/torrent for its side effect, serves net/http/pprof and expvar
// on a localhost port when $GOPPROF says so: an agent must not open a
// listener because of an environment variable. This one does nothing.
package envpprof

// Stop does nothing: nothing was started.
func Stop() {}
