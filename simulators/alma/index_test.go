package alma

import (
	"fmt"
	"strings"
	"testing"

	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/internal/routes/routestest"
)

// GET /_sim/ (advertised by annex up's banner) lists every route of the
// mock, and every route listed answers (issue 13 finding 10).
func TestSimIndex(t *testing.T) {
	s := start(t, nil)
	listed := routestest.CheckIndex(t, s.URL(), "/_sim/", nil, func(r routes.Route, name string) string {
		switch name {
		case "barcode":
			return barcode3
		case "id":
			addFault(t, s, `{"service":"CheckInItem","kind":"latency","latency":"1ms"}`)
			l := s.faults.List()
			return fmt.Sprint(l[len(l)-1].ID)
		}
		t.Fatalf("%s: no value for {%s}", r.Path, name)
		return ""
	})
	var paths []string
	for _, r := range listed {
		paths = append(paths, r.Method+" "+r.Path)
	}
	for _, want := range []string{"POST " + NCIPPath, "GET /_sim/journal", "POST /_sim/export", "GET /_sim/"} {
		if !strings.Contains(strings.Join(paths, "\n"), want) {
			t.Errorf("index lacks %s: %v", want, paths)
		}
	}
}
