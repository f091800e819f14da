package agent

import (
	"context"

	"github.com/murderfleet/murder/dist/seal"
)

// workers are the detached modes, started as "_worker KIND --run-dir D
// --tag T ARGS..." by startDetached.
var workers = map[string]func(ctx context.Context, env *runEnv, args []string) error{
	"peer": func(ctx context.Context, env *runEnv, args []string) error {
		o, err := parsePeer(args)
		if err != nil {
			return err
		}
		if o.identityStdin {
			if o.identity, err = seal.ReadIdentity("-", env.stdin); err != nil {
				return err
			}
		}
		return peerWork(ctx, env, o, newReporter(env.stdout))
	},
	"seeder": func(ctx context.Context, env *runEnv, args []string) error {
		o, err := parseSeeder(args)
		if err != nil {
			return err
		}
		return seederWork(ctx, env, o, newReporter(env.stdout))
	},
	serveAgentKind: func(ctx context.Context, env *runEnv, args []string) error {
		o, err := parseServeAgent(args)
		if err != nil {
			return err
		}
		return serveAgentWork(ctx, env, o)
	},
	"tracker": func(ctx context.Context, env *runEnv, args []string) error {
		o, err := parseTracker(args)
		if err != nil {
			return err
		}
		return trackerWork(ctx, env, o)
	},
}
