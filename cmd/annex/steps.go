package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/annexlab/annex/internal/suggest"
	"github.com/annexlab/annex/scenarios/steps"
)

// runSteps is `annex steps [--markdown] [KIND…]`: every scenario step kind
// (or those named) with its keys, their types, defaults and meaning.
func runSteps(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("steps", "steps [--markdown] [KIND…]", stderr)
	markdown := fs.Bool("markdown", false, "print the reference as the README's Markdown tables")
	names, code, ok := parseArgs(fs, args, nil)
	if !ok {
		return code
	}
	ref, err := steps.Reference()
	if err != nil {
		fmt.Fprintf(stderr, "annex steps: %v\n", err)
		return exitTrouble
	}
	if len(names) > 0 {
		var all []string
		for _, k := range ref {
			all = append(all, k.Name)
		}
		for _, n := range names {
			if !slices.Contains(all, n) {
				hint := ""
				if s := suggest.Closest(n, all); s != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", s)
				}
				fmt.Fprintf(stderr, "annex steps: unknown step kind %q%s\n", n, hint)
				return exitTrouble
			}
		}
		ref = slices.DeleteFunc(ref, func(k steps.KindRef) bool { return !slices.Contains(names, k.Name) })
	}
	if *markdown {
		fmt.Fprint(stdout, stepsMarkdown(ref))
	} else {
		writeStepsText(stdout, ref)
	}
	return exitOK
}

// writeStepsText is the terminal form: a kind, its doc, a line per key.
func writeStepsText(w io.Writer, ref []steps.KindRef) {
	for i, k := range ref {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s — %s\n", k.Name, k.Doc)
		if k.More != "" {
			fmt.Fprintf(w, "  %s\n", k.More)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, f := range k.Fields {
			note := fieldNote(f)
			if len(f.Enum) > 0 {
				note = strings.TrimSpace(note + " " + upperFirst(fieldType(f, "%s")) + ".")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, f.Type, note)
		}
		tw.Flush()
	}
}

// fieldType is the key's type, or its allowed values, each formatted by quote.
func fieldType(f steps.FieldRef, quote string) string {
	if len(f.Enum) == 0 {
		return f.Type
	}
	vals := make([]string, len(f.Enum))
	for i, v := range f.Enum {
		vals[i] = fmt.Sprintf(quote, v)
	}
	return "one of " + strings.Join(vals, ", ")
}

// fieldNote is "required" or the default, then the key's doc.
func fieldNote(f steps.FieldRef) string {
	var parts []string
	if f.Required {
		parts = append(parts, "Required.")
	}
	if f.Default != "" {
		parts = append(parts, "Default "+f.Default+".")
	}
	if f.Doc != "" {
		parts = append(parts, f.Doc)
	}
	return strings.Join(parts, " ")
}

// stepsMarkdown is the README's step reference.
func stepsMarkdown(ref []steps.KindRef) string {
	var b strings.Builder
	for _, k := range ref {
		fmt.Fprintf(&b, "#### `%s`\n\n%s.", k.Name, upperFirst(k.Doc))
		if k.More != "" {
			fmt.Fprintf(&b, " %s", k.More)
		}
		b.WriteString("\n\n| key | type | required / default | meaning |\n|---|---|---|---|\n")
		for _, f := range k.Fields {
			req := ""
			switch {
			case f.Required:
				req = "required"
			case f.Default != "":
				req = "`" + f.Default + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Name, fieldType(f, "`%s`"), req, mdCell(f.Doc))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// mdCell keeps a table cell on one row.
func mdCell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
