package profile

import "fmt"

// lookupSetting returns the profile's lookup_item setting and its field name.
func (p *Profile) lookupSetting() (*bool, string) {
	switch {
	case p.ALMA != nil:
		return p.ALMA.LookupItem, "alma.lookup_item"
	case p.ALEPH != nil:
		return p.ALEPH.LookupItem, "aleph.lookup_item"
	}
	return nil, ""
}

// Lookups reports whether the library answers NCIP LookupItem, so that the
// outbox may ask it whether a message whose answer was lost took effect
// before sending it again (docs/design.md, "Nothing done twice"). Unset means
// true: mock ALMA and mock ALEPH answer it, and without it an ambiguous
// failure can apply a message twice. A library that turns out not to
// answer it costs nothing worse than lookups being off: the Problem it
// answers makes the outbox resend, at least once.
func (p *Profile) Lookups() bool {
	v, _ := p.lookupSetting()
	return v == nil || *v
}

// DeliveryNote says in a support person's terms what the outbox does after
// an ambiguous failure (a timeout, or a reset after the message went out)
// under this profile, and whether that rests on an assumption.
func (p *Profile) DeliveryNote() string {
	v, field := p.lookupSetting()
	switch {
	case field == "":
		return ""
	case v == nil:
		return fmt.Sprintf("%s is not set: assumed true, so after a timeout or reset the facility asks the library (NCIP LookupItem) "+
			"whether the message took effect before resending it; the public record does not show that this library's NCIP server answers "+
			"LookupItem (Ex Libris' published ALMA NCIP profiles do not list it), so confirm it does, or set false to resend without asking "+
			"(at least once: a message may take effect twice)", field)
	case *v:
		return fmt.Sprintf("%s: true: after a timeout or reset the facility asks the library (NCIP LookupItem) whether the message "+
			"took effect before resending it, so no message takes effect twice", field)
	}
	return fmt.Sprintf("%s: false: after a timeout or reset the facility resends without asking (at least once): a message the "+
		"library had already processed takes effect twice", field)
}
