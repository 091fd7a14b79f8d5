package outbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/broadcast"
	"github.com/annexlab/annex/ncip"
)

// library is a fake NCIP peer: CheckOutItem puts an item on loan (again
// and again: every processing counts, which is what shows a double
// effect), LookupItem tells its circulation status. misbehave decides,
// per exchange, what goes wrong.
type library struct {
	mu        sync.Mutex
	loans     map[string]int // barcode → CheckOutItems processed
	exchanges []string       // services received, in order
	// misbehave is called with the service and the exchange's number
	// (from 1); it returns what to do instead of answering normally.
	misbehave func(service string, n int) fault
}

type fault int

const (
	answer         fault = iota
	hangAfterWork        // process, then never answer (the client times out)
	dropBeforeWork       // close the connection without processing
	problem              // answer with an NCIP Problem
)

// firstOnly misbehaves with f at the first exchange and answers the rest.
func firstOnly(f fault) func(service string, n int) fault {
	return func(_ string, n int) fault {
		if n == 1 {
			return f
		}
		return answer
	}
}

func (l *library) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	msg, _, err := ncip.Decode(body, ncip.ParseOptions{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	svc := msg.Body.ServiceName()
	l.mu.Lock()
	l.exchanges = append(l.exchanges, svc)
	f := answer
	if l.misbehave != nil {
		f = l.misbehave(svc, len(l.exchanges))
	}
	var reply ncip.Body
	switch b := msg.Body.(type) {
	case *ncip.CheckOutItem:
		if f == answer || f == hangAfterWork {
			l.loans[b.ItemId.ItemIdentifierValue]++
		}
		reply = &ncip.CheckOutItemResponse{ItemId: &b.ItemId, UserId: b.UserId, DateDue: "2030-01-01T00:00:00.000Z"}
	case *ncip.LookupItem:
		status := ncip.CirculationAvailableOnShelf
		if l.loans[b.ItemId.ItemIdentifierValue] > 0 {
			status = ncip.CirculationOnLoan
		}
		reply = &ncip.LookupItemResponse{ItemId: b.ItemId, ItemOptionalFields: &ncip.Element{Name: "ItemOptionalFields",
			Children: []*ncip.Element{{Name: "CirculationStatus", Text: status}}}}
		if f == problem {
			reply = &ncip.ProblemResponse{Problems: []ncip.Problem{{ProblemType: ncip.SV("Unsupported Service")}}}
		}
	}
	l.mu.Unlock()
	switch f {
	case hangAfterWork:
		<-r.Context().Done()
		return
	case dropBeforeWork:
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
		return
	}
	out, err := ncip.Encode(&ncip.Message{Version: ncip.V2, Body: reply}, ncip.Style{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Write(out)
}

func (l *library) seen() ([]string, map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	loans := map[string]int{}
	for k, v := range l.loans {
		loans[k] = v
	}
	return slices.Clone(l.exchanges), loans
}

// loanLookups is the Reconciler of the fake library: a LookupItem about
// the message's item; applied when the item is on loan.
type loanLookups struct{}

func (loanLookups) Query(m store.Message) ([]byte, error) {
	return ncip.Encode(&ncip.Message{Version: ncip.V2, Body: &ncip.LookupItem{ItemId: &ncip.ItemId{ItemIdentifierValue: m.Barcode},
		ItemElementType: []ncip.SchemeValue{ncip.SV(ncip.ItemElementCirculationStatus)}}}, ncip.Style{})
}

func (loanLookups) Applied(m store.Message, answer *ncip.Message) (bool, error) {
	r, ok := answer.Body.(*ncip.LookupItemResponse)
	if !ok {
		return false, fmt.Errorf("answer is %s", answer.Body.ServiceName())
	}
	return r.CirculationStatus() == ncip.CirculationOnLoan, nil
}

const barcode = "39020000000001"

// deliver enqueues one CheckOutItem (marked in doubt first when
// inDoubt: the state a kill -9 mid-attempt leaves), runs a Sender with one
// lane against lib until the message is no longer pending, and returns it.
func deliver(t *testing.T, lib *library, rec Reconciler, inDoubt bool) store.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	peer := httptest.NewServer(lib)
	defer peer.Close()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "annex.db"), store.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	payload, err := ncip.Encode(&ncip.Message{Version: ncip.V2, Body: &ncip.CheckOutItem{UserId: &ncip.UserId{UserIdentifierValue: "ANNEX-USER"},
		ItemId: ncip.ItemId{ItemIdentifierValue: barcode}}}, ncip.Style{})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	err = st.Tx(ctx, func(tx *store.Tx) (err error) {
		id, err = tx.Enqueue(store.Message{Profile: "p", Endpoint: peer.URL, Transport: store.TransportHTTP, Service: "CheckOutItem",
			Barcode: barcode, Payload: payload, Created: time.Now()})
		if err == nil && inDoubt {
			err = tx.MarkInDoubt([]int64{id})
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The attempt timeout is what ends a hung exchange; it is far above a
	// healthy answer on loopback.
	s := New(Config{Store: st, Lanes: []Lane{{Profile: "p", Reconcile: rec, Retry: profile.Retry{Initial: profile.Duration(time.Millisecond),
		Max: profile.Duration(2 * time.Millisecond), Timeout: profile.Duration(300 * time.Millisecond), Concurrency: 1}}}})
	s.Start(ctx)
	defer s.Close()
	var m store.Message
	err = broadcast.Until(ctx, s.Changed, func() (bool, error) {
		msgs, err := st.Messages(ctx)
		if err != nil {
			return false, err
		}
		m = msgs[0]
		return m.ID == id && m.Status != store.MsgPending, nil
	})
	if err != nil {
		t.Fatalf("message still pending: %v", err)
	}
	return m
}

// TestAmbiguousTimeoutReconciled is issue 11 at the outbox: the library
// processes a CheckOutItem but its answer never comes (the attempt times
// out). The next attempt asks first (LookupItem), sees the loan, and
// records the message delivered, reconciled — the loan is made once.
func TestAmbiguousTimeoutReconciled(t *testing.T) {
	lib := &library{loans: map[string]int{}, misbehave: firstOnly(hangAfterWork)}
	m := deliver(t, lib, loanLookups{}, false)
	exchanges, loans := lib.seen()
	if m.Status != store.MsgDelivered || !m.Reconciled || m.InDoubt || m.Attempts != 2 {
		t.Errorf("message %s reconciled=%v in_doubt=%v after %d attempts, want delivered, reconciled, after 2", m.Status, m.Reconciled, m.InDoubt, m.Attempts)
	}
	if want := []string{"CheckOutItem", "LookupItem"}; !slices.Equal(exchanges, want) {
		t.Errorf("library saw %v, want %v", exchanges, want)
	}
	if loans[barcode] != 1 {
		t.Errorf("the CheckOutItem was processed %d times, want once", loans[barcode])
	}
}

// TestAmbiguousDropResent: the connection drops after the request went
// out but before the library acted. The lookup finds no loan, so the
// message is sent again and delivered (not reconciled): once.
func TestAmbiguousDropResent(t *testing.T) {
	lib := &library{loans: map[string]int{}, misbehave: firstOnly(dropBeforeWork)}
	m := deliver(t, lib, loanLookups{}, false)
	exchanges, loans := lib.seen()
	if m.Status != store.MsgDelivered || m.Reconciled || m.Attempts != 2 {
		t.Errorf("message %s reconciled=%v after %d attempts, want delivered by a resend after 2", m.Status, m.Reconciled, m.Attempts)
	}
	if want := []string{"CheckOutItem", "LookupItem", "CheckOutItem"}; !slices.Equal(exchanges, want) {
		t.Errorf("library saw %v, want %v", exchanges, want)
	}
	if loans[barcode] != 1 {
		t.Errorf("the CheckOutItem was processed %d times, want once", loans[barcode])
	}
}

// TestInDoubtAfterCrash: a message left in doubt by a previous process (a
// kill -9 mid-attempt) is looked up before anything is sent; the library
// had acted, so nothing is sent at all.
func TestInDoubtAfterCrash(t *testing.T) {
	lib := &library{loans: map[string]int{barcode: 1}}
	m := deliver(t, lib, loanLookups{}, true)
	exchanges, loans := lib.seen()
	if m.Status != store.MsgDelivered || !m.Reconciled {
		t.Errorf("message %s reconciled=%v, want delivered, reconciled", m.Status, m.Reconciled)
	}
	if want := []string{"LookupItem"}; !slices.Equal(exchanges, want) || loans[barcode] != 1 {
		t.Errorf("library saw %v and %d loans, want %v and 1", exchanges, loans[barcode], want)
	}
}

// TestFirstSendNoLookup: a message never attempted goes out at once, with
// no lookup, on a reconciling lane too.
func TestFirstSendNoLookup(t *testing.T) {
	lib := &library{loans: map[string]int{}}
	m := deliver(t, lib, loanLookups{}, false)
	exchanges, _ := lib.seen()
	if m.Status != store.MsgDelivered || m.Reconciled || m.Attempts != 1 || !slices.Equal(exchanges, []string{"CheckOutItem"}) {
		t.Errorf("message %s reconciled=%v after %d attempts, exchanges %v", m.Status, m.Reconciled, m.Attempts, exchanges)
	}
}

// TestLookupProblemResends: a library that answers the lookup with a
// Problem (it does not serve LookupItem) settles nothing: the message is
// sent again, at least once, as without lookups.
func TestLookupProblemResends(t *testing.T) {
	lib := &library{loans: map[string]int{}, misbehave: func(svc string, n int) fault {
		switch {
		case n == 1:
			return hangAfterWork
		case svc == "LookupItem":
			return problem
		}
		return answer
	}}
	m := deliver(t, lib, loanLookups{}, false)
	exchanges, loans := lib.seen()
	if m.Status != store.MsgDelivered || m.Reconciled || loans[barcode] != 2 {
		t.Errorf("message %s reconciled=%v, %d loans; want delivered by a resend, 2 loans", m.Status, m.Reconciled, loans[barcode])
	}
	if want := []string{"CheckOutItem", "LookupItem", "CheckOutItem"}; !slices.Equal(exchanges, want) {
		t.Errorf("library saw %v, want %v", exchanges, want)
	}
}

// TestNoLookupsAtLeastOnce documents a lane without a Reconciler (a
// profile with lookup_item: false): after a lost answer the message is
// simply sent again, and the library acts on it twice.
func TestNoLookupsAtLeastOnce(t *testing.T) {
	lib := &library{loans: map[string]int{}, misbehave: firstOnly(hangAfterWork)}
	m := deliver(t, lib, nil, false)
	exchanges, loans := lib.seen()
	if m.Status != store.MsgDelivered || m.Reconciled || loans[barcode] != 2 || !slices.Equal(exchanges, []string{"CheckOutItem", "CheckOutItem"}) {
		t.Errorf("message %s reconciled=%v, %d loans, exchanges %v; want delivered by a plain resend, 2 loans", m.Status, m.Reconciled,
			loans[barcode], exchanges)
	}
}

// TestDialFailureNotInDoubt: a request that never left (nobody listening)
// leaves its message pending but not in doubt: the library cannot have
// acted on it, so the next attempt needs no lookup.
func TestDialFailureNotInDoubt(t *testing.T) {
	peer := httptest.NewServer(http.NotFoundHandler())
	url := peer.URL
	peer.Close()
	s := New(Config{})
	l := &lane{Lane: Lane{Profile: "p", Retry: Defaults(profile.Retry{Timeout: profile.Duration(time.Second)})}}
	o := s.try(t.Context(), l, store.Message{Endpoint: url, Transport: store.TransportHTTP, Payload: []byte("<x/>")})
	if o.Kind != store.MsgPending || o.InDoubt {
		t.Errorf("outcome %s in_doubt=%v (%v), want pending, not in doubt", o.Kind, o.InDoubt, o.Err)
	}
	o = s.try(t.Context(), l, store.Message{Endpoint: url[len("http://"):], Transport: store.TransportTCP, Payload: []byte("<x/>")})
	if o.Kind != store.MsgPending || o.InDoubt {
		t.Errorf("tcp: outcome %s in_doubt=%v (%v), want pending, not in doubt", o.Kind, o.InDoubt, o.Err)
	}
}
