package steps

import (
	"cmp"
	"context"
	"net/http"
	"strings"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
)

// ALEPHPost makes mock ALEPH post its pending hold requests to the facility.
type ALEPHPost struct {
	// ExpectStatus is the HTTP status the facility must answer with.
	ExpectStatus int `yaml:"expect_status" default:"200"`
	// ExpectPosted is how many requests the file must hold (not given: any).
	ExpectPosted *int `yaml:"expect_posted"`
	// ExpectBody is a substring of the facility's reply.
	ExpectBody string `yaml:"expect_body"`
}

// ALEPHPost registers aleph.post.
func (catalog) ALEPHPost() scenario.Kind {
	return scenario.Kind{Name: "aleph.post", Doc: "mock ALEPH posts its pending hold requests to the facility's REST API",
		New: func() scenario.Action { return &ALEPHPost{} }}
}

// Run implements scenario.Action.
func (a *ALEPHPost) Run(ctx context.Context, env *scenario.Env) error {
	if _, err := mockOf(env, "aleph.post", profile.SystemALEPH); err != nil {
		return err
	}
	res, err := env.World.ALEPH.PostRequests(ctx)
	if err != nil {
		return scenario.Failf("aleph.post: %v", err)
	}
	want := cmp.Or(a.ExpectStatus, http.StatusOK)
	if res.Status != want {
		return scenario.Failf("aleph.post: the facility answered HTTP %d, want %d: %s", res.Status, want, res.Body)
	}
	if a.ExpectPosted != nil && res.Posted != *a.ExpectPosted {
		return scenario.Failf("aleph.post: %d requests posted, want %d", res.Posted, *a.ExpectPosted)
	}
	if a.ExpectBody != "" && !strings.Contains(res.Body, a.ExpectBody) {
		return scenario.Failf("aleph.post: the reply does not contain %q: %s", a.ExpectBody, res.Body)
	}
	return nil
}
