package targets

import (
	"context"

	"github.com/magefile/mage/mg"
)

// Deploy is Capistrano's release flow over murder (deploy_via: murder).
// `go tool mage deploy` runs deploy:default, as `cap deploy` did; its flow
// points (deploy:starting ... deploy:finished) run by name too.
type Deploy mg.Namespace

// Setup creates deploy_to/releases and shared on every host (deploy:setup).
func (Deploy) Setup(ctx context.Context) error { return run(ctx, "deploy:setup") }

// Check makes linked_dirs and checks linked_files on every host (deploy:check).
func (Deploy) Check(ctx context.Context) error { return run(ctx, "deploy:check") }

// Default deploys: the flow points, restart, cleanup; also spelled `deploy` (deploy:default).
func (Deploy) Default(ctx context.Context) error { return run(ctx, "deploy:default") }

// Migrations deploys with deploy:migrate after deploy:updated (deploy:migrations).
func (Deploy) Migrations(ctx context.Context) error { return run(ctx, "deploy:migrations") }

// Update builds the release, puts it on every host and switches current on all of them (deploy:update).
func (Deploy) Update(ctx context.Context) error { return run(ctx, "deploy:update") }

// Symlink points current at the newest release on every host (deploy:symlink).
func (Deploy) Symlink(ctx context.Context) error { return run(ctx, "deploy:symlink") }

// Restart runs restart_command in current on every host that sets one (deploy:restart).
func (Deploy) Restart(ctx context.Context) error { return run(ctx, "deploy:restart") }

// Rollback points current back at the previous release and removes the newer one (deploy:rollback).
func (Deploy) Rollback(ctx context.Context) error { return run(ctx, "deploy:rollback") }

// Cleanup removes all but the keep_releases newest releases (deploy:cleanup).
func (Deploy) Cleanup(ctx context.Context) error { return run(ctx, "deploy:cleanup") }
