package aleph

import (
	"strconv"
	"testing"
	"time"

	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/internal/simtest"
)

// GET /_sim/ (advertised by annex up's banner) lists every route of the
// mock, and every route listed answers (issue 13 finding 10).
func TestSimIndex(t *testing.T) {
	s := start(t, nil)
	simtest.CheckIndex(t, s.URL(), func(r routes.Route, name string) string {
		if name == "id" {
			s.faults.Add(faults.Fault{Kind: faults.LatencyFault{Latency: faults.Duration(time.Millisecond)}, Service: "CheckInItem"})
			l := s.faults.List()
			return strconv.Itoa(l[len(l)-1].ID)
		}
		t.Fatalf("%s: no value for {%s}", r.Path, name)
		return ""
	}, "POST /ncip", "GET /_sim/journal", "POST /_sim/post-requests", "GET /_sim/")
}
