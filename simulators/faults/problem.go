package faults

import "errors"

// Problem is the name of ProblemFault.
const Problem = "problem"

// ProblemFault answers with an NCIP Problem instead of processing; the
// simulator builds it (Answerer), in its NCIP version's terms.
type ProblemFault struct {
	// The reply the simulator built is the Problem already.
	sendsReply `yaml:"-"`
	// ProblemType is the NCIP ProblemType, e.g. "Unknown Item".
	ProblemType string `json:"problem_type" yaml:"problem_type"`
	// ProblemDetail is the ProblemDetail (or NCIP 1 ProblemValue).
	ProblemDetail string `json:"problem_detail,omitempty" yaml:"problem_detail,omitempty"`
}

func (builtin) Problem() Kind { return ProblemFault{} }

// Name implements Kind.
func (ProblemFault) Name() string { return Problem }

// Validate implements Kind.
func (k ProblemFault) Validate() error {
	if k.ProblemType == "" {
		return errors.New("problem_type is required, e.g. \"Unknown Item\"")
	}
	return nil
}

// Effect implements Kind.
func (ProblemFault) Effect() Effect { return Answers }

// Problem implements Answerer.
func (k ProblemFault) Problem() (problemType, detail string) { return k.ProblemType, k.ProblemDetail }
