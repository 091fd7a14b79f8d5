package faults

import (
	"context"
	"errors"
	"time"
)

// Latency is the name of LatencyFault.
const Latency = "latency"

// LatencyFault answers late, but whole: the work is done.
type LatencyFault struct {
	sendsReply `yaml:"-"`
	// Latency is how late, e.g. "500ms".
	Latency Duration `json:"latency" yaml:"latency"`
}

func (builtin) Latency() Kind { return LatencyFault{} }

// Name implements Kind.
func (LatencyFault) Name() string { return Latency }

// Validate implements Kind.
func (k LatencyFault) Validate() error {
	if k.Latency <= 0 {
		return errors.New("latency must be positive, e.g. \"500ms\"")
	}
	return nil
}

// Effect implements Kind.
func (LatencyFault) Effect() Effect { return Keeps }

// Wait implements Waiter: the wait is done before the work (Fault.Before)
// or after it, then the reply goes out.
func (k LatencyFault) Wait(ctx context.Context) error { return wait(ctx, time.Duration(k.Latency)) }
