package engine

import "github.com/annexlab/annex/formats/caiasoft"

// Result is one request's outcome: CaiaSoft's answer (the wire shape of
// circrequests and requestfile), with what the engine knows of it besides.
type Result struct {
	caiasoft.Result
	RequestID string
	// Code is the cause of a denial, or caiasoft.DenialDuplicate for a
	// skipped duplicate; "" for an accepted request.
	Code caiasoft.DenialCode
	// Reason is the full reason of a denial.
	Reason string
	// Skipped marks a duplicate request id: nothing was recorded.
	Skipped bool
}

// FileResult is what became of a posted request file.
type FileResult struct {
	File     string
	Rejected bool
	Reason   string
	Results  []Result
}
