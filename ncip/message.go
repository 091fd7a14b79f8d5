package ncip

// The typed messages below serve both protocol versions where the services
// exist in both: an NCIP 1 CheckOutItem carries the same facts as an NCIP 2
// one, only spelled UniqueUserId/UniqueItemId with Scheme/Value pairs. The
// encoder and decoder choose the spelling from Message.Version.
//
// The service types (CheckOutItem, CheckOutItemResponse, …) and the headers
// are generated from the NCIP 2.02 XSD into message_gen.go, with their
// decoders, encoders and required-field checks (codec_gen.go); this file
// holds the parts whose NCIP 1 and NCIP 2 shapes differ beyond spelling
// (coded values, identifiers, Problem) and the bodies outside the schema's
// services.
//
// Fields follow the XSD element names so a field can be found from a message.
// Parts of a message annex does not act on (fees, shipping, optional fields)
// are kept as *Element subtrees so nothing a peer sent is lost on a round trip.

// Message is one NCIP message: the NCIPMessage envelope and its body.
type Message struct {
	Version Version
	// VersionURI is the NCIPMessage version attribute. The encoder writes the
	// style's default when it is empty.
	VersionURI string
	Body       Body
}

// Body is the content of an NCIPMessage: a service, its response, a
// message-level Problem, or a service annex does not model.
type Body interface {
	// ServiceName is the element name, such as "CheckOutItem" or "CheckOutItemResponse".
	ServiceName() string
}

// SchemeValue is a coded value. In NCIP 2 it is text with an optional Scheme
// attribute; in NCIP 1 a pair of Scheme and Value elements.
type SchemeValue struct {
	Scheme string
	Value  string
}

// SV is shorthand for a SchemeValue without a scheme.
func SV(value string) SchemeValue { return SchemeValue{Value: value} }

// ItemId identifies an item: ItemId in v2, UniqueItemId in v1 (where AgencyId is the UniqueAgencyId).
type ItemId struct {
	AgencyId            *SchemeValue
	ItemIdentifierType  *SchemeValue
	ItemIdentifierValue string
}

// UserId identifies a user: UserId in v2, UniqueUserId in v1.
type UserId struct {
	AgencyId            *SchemeValue
	UserIdentifierType  *SchemeValue
	UserIdentifierValue string
}

// RequestId identifies a request: RequestId in v2, UniqueRequestId in v1.
type RequestId struct {
	AgencyId               *SchemeValue
	RequestIdentifierType  *SchemeValue
	RequestIdentifierValue string
}

// AuthenticationInput is the alternative to a UserId: a barcode, a PIN, ….
type AuthenticationInput struct {
	AuthenticationInputData      string
	AuthenticationDataFormatType SchemeValue
	AuthenticationInputType      SchemeValue
}

// Problem reports why a service failed. In NCIP 2 it is Problem{ProblemType,
// ProblemDetail, ProblemElement, ProblemValue}. In NCIP 1 it is
// Problem/ProcessingError (or MessagingError when V1Messaging) whose nested
// ProcessingErrorElement chain is ProblemElement split on "/", with
// ProblemValue innermost; ProblemDetail has no NCIP 1 form.
type Problem struct {
	ProblemType    SchemeValue
	ProblemDetail  string
	ProblemElement string
	ProblemValue   string
	// V1Messaging marks an NCIP 1 MessagingError (a malformed message) rather than a ProcessingError.
	V1Messaging bool
}

// ProblemResponse is a message-level error: Problems directly under
// NCIPMessage, which is how a peer answers a message it could not read as a service.
type ProblemResponse struct {
	Problems []Problem
	Ext      *Element
}

// Unmodelled is a service annex does not type. It is still recognised by
// name, so a responder can answer "Unsupported Service", and its content is
// kept so it can be re-encoded.
type Unmodelled struct {
	Name    string
	Element *Element
}

// ServiceName implements Body; a message-level Problem is named "Problem".
func (*ProblemResponse) ServiceName() string { return "Problem" }

// ServiceName implements Body.
func (u *Unmodelled) ServiceName() string { return u.Name }

// Problems returns the Problems the message carries, in the body or at message level.
func (m *Message) Problems() []Problem {
	if ps, ok := serviceProblems(m.Body); ok {
		return ps
	}
	switch b := m.Body.(type) {
	case *ProblemResponse:
		return b.Problems
	case *Unmodelled:
		return unmodelledProblems(m.Version, b.Element)
	}
	return nil
}

// unmodelledProblems reads the Problems of a response annex does not type,
// so a client can still tell success from failure.
func unmodelledProblems(v Version, el *Element) []Problem {
	if el == nil {
		return nil
	}
	var out []Problem
	d := &decoder{version: v}
	for _, c := range el.Children {
		if c.Name == "Problem" {
			out = append(out, d.problem(c, ""))
		}
	}
	return out
}

// IsResponse reports whether the body is a response rather than an initiation message.
func (m *Message) IsResponse() bool {
	if _, ok := m.Body.(*ProblemResponse); ok {
		return true
	}
	return m.Body != nil && len(m.Body.ServiceName()) > len("Response") &&
		m.Body.ServiceName()[len(m.Body.ServiceName())-len("Response"):] == "Response"
}
