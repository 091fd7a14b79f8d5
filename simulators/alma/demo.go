package alma

import (
	_ "embed"
	"fmt"

	"github.com/annexlab/annex/internal/strict"
)

// workingDay is the state a working day adds to the demo institution.
//
//go:embed demo_working_day.yaml
var workingDay []byte

// DemoWorkingDayConfig is DemoConfig with a working day's items and
// requests added (demo_working_day.yaml): what `annex up` starts, so its
// export carries every request type ALMA writes, not only two holds. Tests
// that count the demo's requests keep using DemoConfig.
func DemoWorkingDayConfig() Config {
	cfg := DemoConfig()
	var day State
	if err := strict.YAML("", workingDay, &day); err != nil {
		// The file is embedded: a mistake in it fails every test that starts the demo.
		panic(fmt.Sprintf("alma: demo_working_day.yaml: %v", err))
	}
	cfg.State.Items = append(cfg.State.Items, day.Items...)
	cfg.State.Requests = append(cfg.State.Requests, day.Requests...)
	for _, r := range day.Requests {
		if !hasUser(cfg.State.Users, r.Patron.Identifier) {
			cfg.State.Users = append(cfg.State.Users, User{ID: r.Patron.Identifier})
		}
	}
	cfg.State.normalise()
	if err := cfg.State.validate(nil); err != nil {
		panic(fmt.Sprintf("alma: demo_working_day.yaml: %v", err))
	}
	return cfg
}

func hasUser(users []User, id string) bool {
	for _, u := range users {
		if u.ID == id {
			return true
		}
	}
	return false
}
