package aleph

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/internal/routes/routestest"
	"github.com/annexlab/annex/simulators/faults"
)

// GET /_sim/ (advertised by annex up's banner) lists every route of the
// mock, and every route listed answers (issue 13 finding 10).
func TestSimIndex(t *testing.T) {
	s := start(t, nil)
	listed := routestest.CheckIndex(t, s.URL(), "/_sim/", nil, func(r routes.Route, name string) string {
		if name == "id" {
			s.faults.Add(faults.Fault{Kind: faults.Latency, Service: "CheckInItem", Latency: faults.Duration(time.Millisecond)})
			l := s.faults.List()
			return strconv.Itoa(l[len(l)-1].ID)
		}
		t.Fatalf("%s: no value for {%s}", r.Path, name)
		return ""
	})
	var paths []string
	for _, r := range listed {
		paths = append(paths, r.Method+" "+r.Path)
	}
	for _, want := range []string{"POST /ncip", "GET /_sim/journal", "POST /_sim/post-requests", "GET /_sim/"} {
		if !strings.Contains(strings.Join(paths, "\n"), want) {
			t.Errorf("index lacks %s: %v", want, paths)
		}
	}
}
