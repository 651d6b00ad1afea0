// Package kat holds known-answer tests for every primitive sealkit builds
// on, run against the shared Wycheproof, RFC and HPKE vectors. It has no
// code of its own: a change of Go release (or of GODEBUG=fips140) that
// altered a primitive's behaviour on any of these vectors fails here first.
//
// Each test counts the cases it ran and those it skipped, by reason, and
// fails if the counts differ from the file's, so none passes vacuously.
package kat
