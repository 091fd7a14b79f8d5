// Package xmllint runs libxml2's xmllint, the independent XML Schema
// validator the tests hold annex's NCIP output and checker against.
package xmllint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
)

// Result is xmllint's verdict on one document.
type Result struct {
	Valid bool
	// Output is what xmllint printed.
	Output string
	// Errors are the positions xmllint named, in order.
	Errors []Position
}

// Position is one "FILE:LINE: element NAME:" error xmllint printed.
type Position struct {
	Line    int
	Element string
	Message string
}

var errLine = regexp.MustCompile(`(?m)^[^\n]*?:(\d+): element ([^:]+): (.*)$`)

// Path returns the xmllint binary or an error telling how to install it.
func Path() (string, error) {
	p, err := exec.LookPath("xmllint")
	if err != nil {
		return "", errors.New("xmllint not found: run `make test`, which installs libxml2-utils")
	}
	return p, nil
}

// ValidateFile validates a file against an XSD.
func ValidateFile(ctx context.Context, schema, file string) (Result, error) {
	bin, err := Path()
	if err != nil {
		return Result{}, err
	}
	out, err := exec.CommandContext(ctx, bin, "--noout", "--nonet", "--schema", schema, file).CombinedOutput()
	res := Result{Output: string(out)}
	var exit *exec.ExitError
	switch {
	case err == nil:
		res.Valid = true
	case errors.As(err, &exit) && exit.ExitCode() == 3, errors.As(err, &exit) && exit.ExitCode() == 1:
		// 3: schema validation failed; 1: not well-formed.
	default:
		return res, fmt.Errorf("xmllint %s: %w: %s", file, err, out)
	}
	for _, m := range errLine.FindAllStringSubmatch(res.Output, -1) {
		n, _ := strconv.Atoi(m[1])
		res.Errors = append(res.Errors, Position{Line: n, Element: m[2], Message: m[3]})
	}
	return res, nil
}

// Validate writes doc to a temporary file and validates it against an XSD.
func Validate(ctx context.Context, schema string, doc []byte) (Result, error) {
	dir, err := os.MkdirTemp("", "xmllint")
	if err != nil {
		return Result{}, fmt.Errorf("xmllint: %w", err)
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, "msg.xml")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		return Result{}, fmt.Errorf("xmllint: %w", err)
	}
	return ValidateFile(ctx, schema, f)
}

// Summary is the output without the "validates" line, for test failures.
func (r Result) Summary() string {
	return string(bytes.TrimSpace([]byte(r.Output)))
}
