package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/murderfleet/murder/tasks"
)

// rollback is Capistrano 3's: deploy:starting, started, reverting,
// reverted, publishing (current back to the previous release),
// published, finishing_rollback (the rolled-back release removed),
// finished. It refuses, changing nothing, unless every host has the same
// release before current.
func rollback(ctx context.Context) error {
	prev, current, err := previousRelease(ctx)
	if err != nil {
		return errors.Join(err, errors.New("rollback refused: nothing was changed"))
	}
	ctx = tasks.WithVar(ctx, "release_name", prev)
	ctx = tasks.WithVar(ctx, "rolled_back_release", current)
	return invokeAll(ctx, "deploy:starting", "deploy:started", "deploy:reverting", "deploy:reverted",
		"deploy:publishing", "deploy:restart", "deploy:published", "deploy:finishing_rollback", "deploy:finished")
}

// previousRelease finds, on every host, the release before current; they
// must agree, since a deploy puts the same releases everywhere.
func previousRelease(ctx context.Context) (prev, current string, err error) {
	if tasks.DryRun(ctx) {
		return "PREVIOUS", "CURRENT", nil
	}
	var mu sync.Mutex
	seen := map[[2]string][]string{} // {previous, current} -> hosts
	err = tasks.On(ctx, peers().Step("check releases"), func(ctx context.Context, h *tasks.Host) error {
		st, err := releases(ctx, h)
		if err != nil {
			return err
		}
		i := slices.Index(st.names, st.current)
		if st.current == "" || i <= 0 {
			return fmt.Errorf("no previous release to roll back to (current: %q)", st.current)
		}
		mu.Lock()
		defer mu.Unlock()
		key := [2]string{st.names[i-1], st.current}
		seen[key] = append(seen[key], h.String())
		return nil
	})
	if err != nil {
		return "", "", err
	}
	if len(seen) != 1 {
		var views []string
		for k, hs := range seen {
			views = append(views, fmt.Sprintf("%s -> %s on %s", k[1], k[0], strings.Join(hs, ",")))
		}
		slices.Sort(views)
		return "", "", fmt.Errorf("the hosts disagree on the release to roll back to: %s", strings.Join(views, "; "))
	}
	for k := range seen {
		prev, current = k[0], k[1]
	}
	return prev, current, nil
}

// finishingRollback removes the release rolled back from.
func finishingRollback(ctx context.Context) error {
	gone := tasks.Fetch(ctx, "rolled_back_release")
	if gone == "" {
		return nil
	}
	return tasks.On(ctx, peers().Step("remove rolled-back release"), func(ctx context.Context, h *tasks.Host) error {
		return h.Execute(ctx, agent(h, "release", "remove", h.DeployTo(), gone)...)
	})
}

// releaseState is what `release list` says of one host.
type releaseState struct {
	current string
	names   []string
}

func releases(ctx context.Context, h *tasks.Host) (releaseState, error) {
	out, err := h.Capture(ctx, agent(h, "release", "list", h.DeployTo())...)
	var st releaseState
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "release "); ok {
			st.names = append(st.names, v)
		} else if v, ok := strings.CutPrefix(l, "current "); ok {
			st.current = v
		}
	}
	return st, err
}

// field2 reads the word after key in "key value" output.
func field2(out, key string) string {
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == key {
			return f[i+1]
		}
	}
	return ""
}
