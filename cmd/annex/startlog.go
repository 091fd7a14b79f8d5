package main

import (
	"context"
	"log/slog"
	"sync"
)

// startGate holds log records back while `annex up` starts: a failed start
// then prints its one error line and nothing else (issue 11 item 8), and a
// successful one replays what was held, in order, once it is up.
type startGate struct {
	mu   sync.Mutex
	open bool
	held []heldRecord
}

type heldRecord struct {
	h slog.Handler
	r slog.Record
}

// handler wraps h so its records wait for the gate.
func (g *startGate) handler(h slog.Handler) slog.Handler { return gatedHandler{h: h, g: g} }

// release replays the held records and lets later ones through.
func (g *startGate) release(ctx context.Context) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, hr := range g.held {
		_ = hr.h.Handle(ctx, hr.r)
	}
	g.held, g.open = nil, true
}

type gatedHandler struct {
	h slog.Handler
	g *startGate
}

func (gh gatedHandler) Enabled(ctx context.Context, l slog.Level) bool { return gh.h.Enabled(ctx, l) }

func (gh gatedHandler) Handle(ctx context.Context, r slog.Record) error {
	gh.g.mu.Lock()
	if !gh.g.open {
		gh.g.held = append(gh.g.held, heldRecord{gh.h, r.Clone()})
		gh.g.mu.Unlock()
		return nil
	}
	gh.g.mu.Unlock()
	return gh.h.Handle(ctx, r)
}

func (gh gatedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return gatedHandler{h: gh.h.WithAttrs(as), g: gh.g}
}

func (gh gatedHandler) WithGroup(name string) slog.Handler {
	return gatedHandler{h: gh.h.WithGroup(name), g: gh.g}
}
