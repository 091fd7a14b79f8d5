package smtp

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/annexlab/annex/internal/strict"
	"github.com/annexlab/annex/internal/suggest"
	"github.com/annexlab/annex/simulators/faults"
)

// Fault kinds of the mail catcher, in the manner of package faults.
const (
	// Reject answers the stage's command with Code (4xx: try again later; 5xx: refused) and Message.
	Reject = "reject"
	// Drop closes the connection at the stage without an answer.
	Drop = "drop"
	// Delay holds the stage's answer for Latency.
	Delay = "delay"
)

// Stages of an SMTP transaction a fault applies to.
const (
	StageMail = "mail" // MAIL FROM
	StageRcpt = "rcpt" // RCPT TO
	StageData = "data" // the end of DATA (default): the message was sent, the answer is the fault
)

// FaultKinds lists the fault kinds.
func FaultKinds() []string { return []string{Reject, Drop, Delay} }

// Stages lists the stages.
func Stages() []string { return []string{StageMail, StageRcpt, StageData} }

// Fault is one rule: what happens, at which stage, how often.
type Fault struct {
	ID   int    `json:"id,omitempty" yaml:"id,omitempty"`
	Kind string `json:"kind" yaml:"kind"`
	// Stage is StageMail, StageRcpt or StageData ("" means data).
	Stage string `json:"stage,omitempty" yaml:"stage,omitempty"`
	// Count applies the fault to the next Count transactions, then retires it; 0 means every one.
	Count int `json:"count,omitempty" yaml:"count,omitempty"`
	// Probability applies it to that fraction of transactions; 0 means all.
	Probability float64 `json:"probability,omitempty" yaml:"probability,omitempty"`
	// Code and Message are a reject's reply, e.g. 451 "try again later".
	Code    int    `json:"code,omitempty" yaml:"code,omitempty"`
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
	// Latency is a delay's wait, e.g. "2s".
	Latency faults.Duration `json:"latency,omitempty" yaml:"latency,omitempty"`
	// Applied counts how many times the fault has hit.
	Applied int `json:"applied" yaml:"-"`
}

// Validate reports a rule that cannot work, naming the field.
func (f Fault) Validate() error {
	switch {
	case !slices.Contains(FaultKinds(), f.Kind):
		return fmt.Errorf("kind %q: want one of %s%s", f.Kind, strings.Join(FaultKinds(), ", "), didYouMean(f.Kind, FaultKinds()))
	case f.Stage != "" && !slices.Contains(Stages(), f.Stage):
		return fmt.Errorf("stage %q: want one of %s%s", f.Stage, strings.Join(Stages(), ", "), didYouMean(f.Stage, Stages()))
	case f.Count < 0:
		return fmt.Errorf("count %d is negative", f.Count)
	case f.Probability < 0 || f.Probability > 1:
		return fmt.Errorf("probability %g is not between 0 and 1", f.Probability)
	case f.Kind == Reject && (f.Code < 400 || f.Code > 599):
		return fmt.Errorf("code %d: a reject needs an SMTP code from 400 to 599, e.g. 451 or 550", f.Code)
	case f.Kind == Delay && f.Latency <= 0:
		return fmt.Errorf("latency must be positive for a delay, e.g. \"2s\"")
	}
	return nil
}

func (f Fault) stage() string {
	if f.Stage == "" {
		return StageData
	}
	return f.Stage
}

func didYouMean(word string, known []string) string {
	if s := suggest.Closest(word, known); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// DecodeFaults reads one fault or a list of them as JSON, refusing
// unknown fields with a did-you-mean and invalid rules naming the fault.
func DecodeFaults(data []byte) ([]Fault, error) {
	var list []Fault
	var err error
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		err = strict.JSON(data, &list)
	} else {
		list = make([]Fault, 1)
		err = strict.JSON(data, &list[0])
	}
	if err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	for i, f := range list {
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("fault %d: %w", i+1, err)
		}
	}
	return list, nil
}

// Tally is the fault's bookkeeping, for faults.Rules.
func (f *Fault) Tally() faults.Tally {
	return faults.Tally{ID: &f.ID, Applied: &f.Applied, Count: f.Count, Probability: f.Probability}
}

// faultSet is the catcher's active faults: the rule list NCIP faults use,
// keyed by SMTP stage instead of NCIP service.
type faultSet struct{ *faults.Rules[Fault, *Fault] }

func newFaultSet(seed uint64) faultSet { return faultSet{faults.NewRules[Fault](seed)} }

// pick returns the fault to apply at stage, if any; a counted rule retires after its last use.
func (s faultSet) pick(stage string) (Fault, bool) {
	return s.Pick(func(f *Fault) bool { return f.stage() == stage })
}
