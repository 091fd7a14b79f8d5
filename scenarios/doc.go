// Package scenarios is annex's scenario library and its Go suite: the
// scenario files under library/ (alma, aleph, faults, security) each drive
// a fresh world end to end and assert on the exact NCIP produced. The
// language is package scenario, the step kinds package steps, the runner
// package runner; `annex run` and the Ginkgo suite in this folder both use them.
//
// Run the suite with `go test ./scenarios`; ANNEX_LABEL filters by label
// expression (e.g. "alma && !faults"), ANNEX_JUNIT writes a JUnit report.
package scenarios
