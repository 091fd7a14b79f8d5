package steps

import (
	"context"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
)

// ALMAExport runs mock ALMA's "Send Requests to Remote Storage" job once.
// The upload's close waits for the engine to process the file, so the
// requests are decided when the step ends.
type ALMAExport struct {
	// ExpectRequests is how many requests the file must hold (not given: any).
	ExpectRequests *int `yaml:"expect_requests"`
	// ExpectError is a substring of the error the job must fail with.
	ExpectError string `yaml:"expect_error"`
}

// ALMAExport registers alma.export.
func (catalog) ALMAExport() scenario.Kind {
	return scenario.Kind{Name: "alma.export", Doc: "mock ALMA's export job writes the pending requests and uploads them by SFTP",
		New: func() scenario.Action { return &ALMAExport{} }}
}

// Run implements scenario.Action.
func (a *ALMAExport) Run(ctx context.Context, env *scenario.Env) error {
	if _, err := mockOf(env, "alma.export", profile.SystemALMA); err != nil {
		return err
	}
	res, err := env.World.ALMA.Export(ctx)
	if err := checkErr("alma.export", err, a.ExpectError); err != nil {
		return err
	}
	if a.ExpectRequests != nil && res.Requests != *a.ExpectRequests {
		return scenario.Failf("alma.export: the file %s held %d requests (%v), want %d", res.File, res.Requests, res.IDs, *a.ExpectRequests)
	}
	return nil
}
