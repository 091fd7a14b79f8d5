// Package enginetest holds the facility engine's whole-system tests and
// benchmarks (docs/design.md): the engine, its SFTP server and mock ALMA
// assembled by package world and talking over loopback sockets, as
// `annex up` runs them. It has no code of its own; everything is in its
// _test.go files:
//
//   - TestFaultsExactlyOnce: with mock ALMA answering about 30% of NCIP
//     messages with a 503, a reset or silence, every owed CheckOutItem and
//     CheckInItem is delivered and processed by ALMA exactly once; an NCIP
//     Problem is surfaced as an alert and never retried.
//   - TestOutboxScalesWithBacklog and TestStoreWritersAreNotStarved pin
//     down the two store problems the big-file benchmark ran into: the
//     outbox's "next due messages" query costs time in proportion to the
//     backlog, and concurrent writers are starved by SQLite's busy polling.
//   - BenchmarkALMAFile100k: a 100,000-request ALMA export arrives, is
//     accepted, retrieved and every CheckOutItem delivered (target ≤ 30 s,
//     ≤ 150 MB).
//   - BenchmarkSFTP1000Files: 1,000 request files over one SFTP session,
//     all ingested (target ≤ 2 s).
//
// The crash-safety test (kill -9 of a running `annex up`) needs a separate
// process and lives with the command, in cmd/annex/crash_test.go.
package enginetest
