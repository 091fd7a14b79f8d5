package alma

import (
	"fmt"
	"testing"

	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/simulators/internal/simtest"
)

// GET /_sim/ (advertised by annex up's banner) lists every route of the
// mock, and every route listed answers (issue 13 finding 10).
func TestSimIndex(t *testing.T) {
	s := start(t, nil)
	simtest.CheckIndex(t, s.URL(), func(r routes.Route, name string) string {
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
	}, "POST "+NCIPPath, "GET /_sim/journal", "POST /_sim/export", "GET /_sim/")
}
