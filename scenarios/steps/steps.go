// Package steps holds the scenario step kinds: the actions that drive a
// world (mock ALMA's export job, mock ALEPH's poster, SFTP uploads, REST
// calls, floor operations, faults, an engine restart, raw NCIP sends) and
// the expectations that check it (NCIP messages against golden files,
// requests, items, alerts, files, the outbox, the mocks' journals, the
// alert emails the mail catcher caught).
//
// One kind is one file: its struct (whose doc comment and fields are the
// kind's documentation and keys) and a method of catalog returning its
// scenario.Kind. Registry finds every such method, so a new kind needs no
// other edit; helpers shared by kinds live in this file, mocks.go (a
// mock's /_sim/ API, journal and state records), records.go (find then
// compare, and the engine's tables counted and listed) and json.go.
//
// Expectations wait on events, never on a timer: on the mocks' journals
// (Journal().Wait) and on the engine's outbox (WaitIdle), each bounded by
// the step's timeout.
package steps

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"

	"github.com/annexlab/annex/internal/suggest"
	"github.com/annexlab/annex/scenarios/scenario"
)

// catalog's methods are the step kinds. Each kind's file adds one, named
// after the kind's struct, that returns its scenario.Kind (or a
// []scenario.Kind for kinds sharing one struct). The method set is fixed
// when the package is compiled, so the registry needs no list to edit and
// no package state written at init.
type catalog struct{}

// Registry returns a registry holding every step kind of this package:
// one per method of catalog.
func Registry() *scenario.Registry {
	r := scenario.NewRegistry()
	v := reflect.ValueOf(catalog{})
	for i := range v.NumMethod() {
		m := v.Method(i)
		name := v.Type().Method(i).Name
		if m.Type().NumIn() != 0 || m.Type().NumOut() != 1 {
			panic(fmt.Sprintf("steps: catalog.%s must take nothing and return a scenario.Kind", name))
		}
		var kinds []scenario.Kind
		switch k := m.Call(nil)[0].Interface().(type) {
		case scenario.Kind:
			kinds = []scenario.Kind{k}
		case []scenario.Kind:
			kinds = k
		default:
			panic(fmt.Sprintf("steps: catalog.%s returns %T, not a scenario.Kind", name, k))
		}
		if err := r.Register(kinds...); err != nil {
			panic(fmt.Sprintf("steps: catalog.%s: %v", name, err)) // fixed at compile time: any test catches it
		}
	}
	return r
}

// oneOf checks an enumerated field. The schema generator reads its calls
// in Validate methods (schemas/internal/gen/validate.go) for the enums.
func oneOf(field, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		msg := fmt.Sprintf("%s: %q is not one of %s", field, v, strings.Join(allowed, ", "))
		if near := suggest.Closest(v, allowed); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
		return errors.New(msg)
	}
	return nil
}

// checkErr compares an operation's error with the expected one ("" means none expected).
func checkErr(what string, err error, want string) error {
	switch {
	case want == "" && err != nil:
		return scenario.Failf("%s: %v", what, err)
	case want != "" && err == nil:
		return scenario.Failf("%s succeeded; want an error containing %q", what, want)
	case want != "" && !strings.Contains(err.Error(), want):
		return scenario.Failf("%s failed with %q; want an error containing %q", what, err, want)
	}
	return nil
}

// errText is an operation's outcome as the report shows it.
func errText(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// dialFrom connects to addr over TCP from the source IP address from (""
// for the system's choice). The connection also closes when ctx ends,
// until stop is called.
func dialFrom(ctx context.Context, from, addr string) (conn net.Conn, stop func() bool, err error) {
	d := net.Dialer{}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	if conn, err = d.DialContext(ctx, "tcp", addr); err != nil {
		return nil, nil, err
	}
	return conn, context.AfterFunc(ctx, func() { conn.Close() }), nil
}

// idle waits for the outbox to drain, so what an expectation reads is settled.
func idle(ctx context.Context, env *scenario.Env, what string) error {
	if err := env.WaitIdle(ctx); err != nil {
		return scenario.Failf("%s: the engine did not settle: %v", what, err)
	}
	return nil
}
