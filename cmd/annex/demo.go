package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/world"
)

// demoLoop shows a newcomer the whole flow, over and over: every round the
// libraries send their pending requests and the facility retrieves what it
// accepted and refiles what it retrieved; once every request is settled and
// the outbox is idle, the libraries request the same items again under new
// request ids, so the next rounds repeat the cycle. It is a demo feature,
// so it runs on a timer.
func demoLoop(ctx context.Context, w *world.World, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	d := &demo{w: w, log: log, base: map[string]string{}}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d.round(ctx)
	}
}

type demo struct {
	w     *world.World
	log   *slog.Logger
	cycle int
	// base maps a renewed request id to the demo request it repeats.
	base map[string]string
}

func (d *demo) round(ctx context.Context) {
	for _, url := range []string{d.w.ALMA.URL() + "/_sim/export", d.w.ALEPH.URL() + "/_sim/post-requests"} {
		if err := postJSON(ctx, url); err != nil {
			d.log.Error("demo", "step", url, "err", err)
		}
	}
	reqs, err := d.w.Engine.Requests(ctx)
	if err != nil {
		d.log.Error("demo", "err", err)
		return
	}
	// The floor's next step for a request in each status: retrieve what was
	// accepted, refile what was retrieved.
	next := map[string]struct {
		step, done string
		do         func(context.Context, string) error
	}{
		"accepted":  {"retrieve", "retrieved", d.w.Engine.Retrieve},
		"retrieved": {"refile", "refiled", d.w.Engine.Refile},
	}
	busy := false
	for _, r := range reqs {
		s, ok := next[r.Status]
		busy = busy || ok || r.Status == "received"
		if !ok {
			continue
		}
		if err := s.do(ctx, r.Barcode); err != nil {
			d.log.Error("demo "+s.step, "barcode", r.Barcode, "err", err)
		} else {
			d.log.Info("demo: "+s.done, "profile", r.Profile, "request", r.ID, "barcode", r.Barcode)
		}
	}
	if busy || len(reqs) == 0 {
		return
	}
	// Everything is back in storage once the outbox has told the libraries.
	idle, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if d.w.Engine.WaitIdle(idle) != nil {
		return
	}
	if err := d.renew(ctx); err != nil {
		d.log.Error("demo renew", "err", err)
	}
}

// renew makes the mocks request every item again: each request that is no
// longer pending comes back pending under a new id.
func (d *demo) renew(ctx context.Context) error {
	d.cycle++
	id := func(old string) string {
		b, ok := d.base[old]
		if !ok {
			b = old
		}
		delete(d.base, old) // only the live ids are kept, however long the demo runs
		n := fmt.Sprintf("%s.%d", b, d.cycle+1)
		d.base[n] = b
		return n
	}
	var as alma.State
	if err := simState(ctx, d.w.ALMA.URL(), &as, nil); err != nil {
		return err
	}
	n := 0
	for i, r := range as.Requests {
		if r.Step != alma.StepPending && r.Step != "" {
			as.Requests[i].ID, as.Requests[i].Step = id(r.ID), alma.StepPending
			n++
		}
	}
	var ls aleph.State
	if err := simState(ctx, d.w.ALEPH.URL(), &ls, nil); err != nil {
		return err
	}
	for i, r := range ls.Requests {
		if r.Status != aleph.RequestPending {
			ls.Requests[i].ID, ls.Requests[i].Status = id(r.ID), aleph.RequestPending
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if err := simState(ctx, d.w.ALMA.URL(), nil, as); err != nil {
		return err
	}
	if err := simState(ctx, d.w.ALEPH.URL(), nil, ls); err != nil {
		return err
	}
	d.log.Info("demo: the libraries request everything again", "cycle", d.cycle+1, "requests", n)
	return nil
}

// simState reads a mock's state into get, or replaces it with put, over
// its inspection API.
func simState(ctx context.Context, base string, get, put any) error {
	method, body := http.MethodGet, []byte(nil)
	if put != nil {
		method = http.MethodPut
		var err error
		if body, err = json.Marshal(put); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"/_sim/state", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var msg bytes.Buffer
		msg.ReadFrom(resp.Body)
		return fmt.Errorf("%s %s/_sim/state: HTTP %d: %s", method, base, resp.StatusCode, bytes.TrimSpace(msg.Bytes()))
	}
	if get != nil {
		return json.NewDecoder(resp.Body).Decode(get)
	}
	return nil
}
