package faults_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/annexlab/annex/simulators/faults"
)

// teapot is a throw-away kind, whole in this file as a new kind would be
// in its own: its fields, its validation, what it does over HTTP and TCP.
type teapot struct {
	Brew string `json:"brew" yaml:"brew"`
}

func (teapot) Name() string { return "teapot" }

func (k teapot) Validate() error {
	if k.Brew == "" {
		return errors.New("brew is required, e.g. \"earl grey\"")
	}
	return nil
}

func (teapot) Effect() faults.Effect { return faults.Withholds }

func (k teapot) HTTP(_ context.Context, w http.ResponseWriter, _ faults.Reply) (int, []byte, error) {
	w.WriteHeader(http.StatusTeapot)
	_, err := io.WriteString(w, k.Brew)
	return http.StatusTeapot, []byte(k.Brew), err
}

func (k teapot) Conn(_ context.Context, conn net.Conn, _ faults.Reply) (int, []byte, error) {
	_, err := io.WriteString(conn, "TEAPOT "+k.Brew)
	return 0, []byte(k.Brew), err
}

// A kind registered in a registry of one's own is read, checked and
// delivered like a built-in one, and stays out of every other registry.
func TestRegisterThrowAwayKind(t *testing.T) {
	reg := faults.Builtin()
	if err := reg.Register(teapot{}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.ParseJSON([]byte(`{"kind":"teapot","brwe":"assam"}`)); err == nil || !strings.Contains(err.Error(), `unknown field "brwe" (did you mean "brew"?)`) {
		t.Errorf("a misspelt field of the new kind: %v", err)
	}
	f, err := reg.ParseJSON([]byte(`{"kind":"teapot","brew":"assam","service":"LookupItem"}`))
	if err != nil || f.Kind != (teapot{Brew: "assam"}) {
		t.Fatalf("parse: %+v %v", f, err)
	}
	if err := (faults.Fault{Kind: teapot{}}).Validate(); err == nil || !strings.Contains(err.Error(), "fault teapot: brew is required") {
		t.Errorf("validate: %v", err)
	}
	if _, err := faults.Builtin().ParseJSON([]byte(`{"kind":"teapot","brew":"assam"}`)); err == nil {
		t.Error("the kind leaked into a fresh built-in registry")
	}

	set := faults.NewSet(1)
	if _, err := set.Add(f); err != nil {
		t.Fatal(err)
	}
	if set.Pick("CheckOutItem") != nil {
		t.Error("a LookupItem fault hit a CheckOutItem")
	}
	picked := set.Pick("LookupItem")
	if !picked.Withholds() || picked.Commits() {
		t.Errorf("a withholding fault: commits %v", picked.Commits())
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		faults.WriteHTTP(r.Context(), w, "text/xml", []byte("<reply/>"), picked)
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot || string(body) != "assam" {
		t.Errorf("over HTTP: %d %q", resp.StatusCode, body)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		faults.WriteConn(context.Background(), conn, nil, []byte("<reply/>"), picked)
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got, _ := io.ReadAll(conn)
	if string(got) != "TEAPOT assam" {
		t.Errorf("over TCP: %q", got)
	}
}
