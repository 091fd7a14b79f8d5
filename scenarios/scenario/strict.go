package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/annexlab/annex/internal/strict"
)

// PosError is an error at a place in a scenario file, printed
// FILE:LINE:COLUMN: MESSAGE as compilers do, so editors can jump to it.
type PosError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *PosError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	if e.Col == 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// checker walks a YAML node against the Go type it will be decoded into,
// because yaml.v3's Node.Decode has no known-fields mode and its type errors
// carry a line but no column: the walk finds unknown keys, wrong shapes and
// bad scalars with their exact position before anything is decoded.
type checker struct {
	file   string
	dir    string // the scenario file's directory: fixture paths are relative to it
	update bool   // golden files may be missing: --update writes them
	errs   []error
}

func (c *checker) errorf(n *yaml.Node, format string, args ...any) {
	c.errs = append(c.errs, &PosError{File: c.file, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// check reports every way n does not fit t, and every fixture file a
// field names (tag scenario:"file" or "golden") that is not there.
func (c *checker) check(n *yaml.Node, t reflect.Type) {
	err := strict.Check(c.file, n, t, func(f reflect.StructField, v *yaml.Node) error {
		if kind := f.Tag.Get("scenario"); kind != "" && v.Kind == yaml.ScalarNode && v.Value != "" {
			return c.fixture(v.Value, kind)
		}
		return nil
	})
	c.adopt(err)
}

// adopt takes the errors of the strict layer as the scenario's own.
func (c *checker) adopt(err error) {
	if err == nil {
		return
	}
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	for _, e := range list {
		var se *strict.Error
		if !errors.As(e, &se) {
			c.errs = append(c.errs, &PosError{File: c.file, Msg: e.Error()})
			continue
		}
		msg := se.Msg
		if se.Path != "" {
			msg = se.Path + ": " + msg
		}
		c.errs = append(c.errs, &PosError{File: c.file, Line: se.Line, Col: se.Col, Msg: msg})
	}
}

// fixture checks that a file a step names exists, relative to the scenario.
func (c *checker) fixture(name, kind string) error {
	if kind == "golden" && c.update {
		return nil
	}
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.dir, p)
	}
	st, err := os.Stat(p)
	switch {
	case err != nil && os.IsNotExist(err) && kind == "golden":
		return fmt.Errorf("golden file %s does not exist (run with --update to create it)", name)
	case err != nil:
		return fmt.Errorf("fixture file %s: %w", name, unwrapPath(err))
	case !st.Mode().IsRegular():
		return fmt.Errorf("fixture file %s is not a regular file", name)
	}
	return nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
