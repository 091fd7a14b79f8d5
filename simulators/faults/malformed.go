package faults

// Malformed is the name of MalformedFault.
const Malformed = "malformed"

// MalformedFault answers with a reply that is not well-formed XML: half
// of it and a broken tag.
type MalformedFault struct {
	noFields   `yaml:"-"`
	sendsReply `yaml:"-"`
}

func (builtin) Malformed() Kind { return MalformedFault{} }

// Name implements Kind.
func (MalformedFault) Name() string { return Malformed }

// Effect implements Kind.
func (MalformedFault) Effect() Effect { return Spoils }

// Rewrite implements Rewriter.
func (MalformedFault) Rewrite(r Reply) Reply {
	r.Body = append(append([]byte(nil), r.Body[:len(r.Body)/2]...), "<</broken"...)
	return r
}
