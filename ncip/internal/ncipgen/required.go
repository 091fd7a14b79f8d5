package main

import (
	"bytes"
	"fmt"
	"strings"
)

// The encoder refuses a service that lacks what the schema requires, so a
// workflow bug surfaces before a peer answers with a Problem. The checks and
// their messages come from the content model: a required element ("ItemId
// is required"), a choice ("UserId or AuthenticationInput is required"), a
// choice of plain values ("exactly one of DateDue, … is required"), and a
// response's Problem-or-result choice ("Problem, or ItemId and UserId, is required").

// requirement is one thing a service must hold.
type requirement struct {
	phrase  string // "ItemId", "ItemId or RequestId"
	missing string // Go condition, true when the requirement is not met
	choice  bool   // phrase is an or-list
	exactly bool   // a choice of plain values, of which exactly one must be set
}

// requirements lists what the particles of a sequence require, in order.
func requirements(items []particle, byElem map[string]field) []requirement {
	var out []requirement
	for _, p := range items {
		switch {
		case p.min == 0:
		case p.kind == pElement:
			if r, ok := byElem[p.name].requirement(); ok {
				out = append(out, r)
			}
		case p.kind == pChoice:
			out = append(out, choiceRequirement(p, byElem))
		case p.kind == pSequence:
			out = append(out, requirements(p.items, byElem)...)
		}
	}
	return out
}

// requirement is what a required field needs: a component value its
// identifying text, a pointer or list to be set. A required coded value is
// always present (an empty RequestType is still a RequestType).
func (f field) requirement() (requirement, bool) {
	m := "m." + f.name
	switch {
	case f.kind == fComponent && f.card == required:
		if f.comp.valueField == "" {
			return requirement{}, false
		}
		return requirement{phrase: f.elem, missing: fmt.Sprintf("%s.%s == \"\"", m, f.comp.valueField)}, true
	case f.unsetExpr() == "false":
		return requirement{}, false
	}
	return requirement{phrase: f.elem, missing: f.unsetExpr()}, true
}

func choiceRequirement(p particle, byElem map[string]field) requirement {
	plain := true
	var names, unset, set []string
	for _, alt := range p.items {
		f := byElem[leading(alt)]
		names = append(names, f.elem)
		unset = append(unset, f.unsetExpr())
		set = append(set, f.setExpr())
		plain = plain && alt.kind == pElement && (f.kind == fText || f.kind == fFlag)
	}
	if plain {
		return requirement{phrase: "exactly one of " + andList(names), exactly: true,
			missing: "countSet(" + strings.Join(set, ", ") + ") != 1"}
	}
	return requirement{phrase: orList(names), choice: true, missing: strings.Join(unset, " && ")}
}

func orList(xs []string) string {
	if len(xs) == 1 {
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

func andList(xs []string) string {
	if len(xs) == 1 {
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// checkStmts writes the checks of one service.
func checkStmts(b *bytes.Buffer, model particle, byElem map[string]field) {
	for _, p := range model.items {
		if p.kind == pChoice && p.min > 0 && problemsBranch(p) >= 0 {
			responseChecks(b, p, byElem)
			continue
		}
		for _, r := range requirements([]particle{p}, byElem) {
			fmt.Fprintf(b, "\t\tif %s {\n\t\t\treturn errors.New(%q)\n\t\t}\n", r.missing, r.phrase+" is required")
		}
	}
}

// problemsBranch is the index of the branch of a choice that holds Problems, or -1.
func problemsBranch(p particle) int {
	for i, alt := range p.items {
		if leading(alt) == "Problem" {
			return i
		}
	}
	return -1
}

// responseChecks writes the checks of a response's choice between Problems
// and a result: without Problems, the result's requirements.
func responseChecks(b *bytes.Buffer, p particle, byElem map[string]field) {
	var reqs, exact []requirement
	for i, alt := range p.items {
		if i == problemsBranch(p) {
			continue
		}
		items := alt.items
		if alt.kind != pSequence {
			items = []particle{alt}
		}
		for _, r := range requirements(items, byElem) {
			if r.exactly {
				exact = append(exact, r)
			} else {
				reqs = append(reqs, r)
			}
		}
	}
	if len(reqs) > 0 {
		var phrases, missing []string
		for _, r := range reqs {
			phrases = append(phrases, r.phrase)
			if r.choice && len(reqs) > 1 {
				r.missing = "(" + r.missing + ")"
			}
			missing = append(missing, r.missing)
		}
		msg := "Problem, or " + strings.Join(phrases, " and ") + ", is required"
		switch {
		case len(reqs) == 1 && reqs[0].choice:
			msg = "Problem, " + reqs[0].phrase + " is required"
		case len(reqs) == 1:
			msg = "Problem or " + reqs[0].phrase + " is required"
		}
		cond := strings.Join(missing, " || ")
		if len(missing) > 1 || reqs[0].choice {
			cond = "(" + cond + ")"
		}
		fmt.Fprintf(b, "\t\tif len(m.Problems) == 0 && %s {\n\t\t\treturn errors.New(%q)\n\t\t}\n", cond, msg)
	}
	for _, r := range exact {
		fmt.Fprintf(b, "\t\tif len(m.Problems) == 0 && %s {\n\t\t\treturn errors.New(%q)\n\t\t}\n", r.missing, r.phrase+" is required")
	}
}

// checks writes checkService, which applies the checks of every service.
func checks(b *bytes.Buffer, s *schema, svcFields map[string][]field) {
	b.WriteString("// checkService reports what a modelled service lacks that the schema requires; nil for any other body.\n")
	b.WriteString("func checkService(b Body) error {\n\tswitch m := b.(type) {\n")
	for _, svc := range services {
		byElem := map[string]field{}
		for _, f := range svcFields[svc.name] {
			byElem[f.elem] = f
		}
		var body bytes.Buffer
		checkStmts(&body, s.decls[svc.name].model, byElem)
		if body.Len() == 0 {
			continue
		}
		fmt.Fprintf(b, "\tcase *%s:\n%s", svc.name, body.String())
	}
	b.WriteString("\t}\n\treturn nil\n}\n")
}
