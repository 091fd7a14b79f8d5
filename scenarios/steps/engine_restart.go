package steps

import (
	"context"

	"github.com/annexlab/annex/scenarios/scenario"
)

// EngineRestart closes the engine and opens it on the same data directory.
type EngineRestart struct{}

// EngineRestart registers engine.restart.
func (catalog) EngineRestart() scenario.Kind {
	return scenario.Kind{Name: "engine.restart", Doc: "close the engine and open it again on the same data directory",
		New: func() scenario.Action { return &EngineRestart{} }}
}

// Run implements scenario.Action.
func (EngineRestart) Run(ctx context.Context, env *scenario.Env) error {
	if err := env.World.RestartEngine(ctx); err != nil {
		return scenario.Failf("engine.restart: %v", err)
	}
	return nil
}
