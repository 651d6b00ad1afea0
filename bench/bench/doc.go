// Package bench runs sealkit side by side with the libraries and primitives
// people would otherwise use (age, Tink, the bare standard library), in one
// process, and reports ratios rather than absolute times: a ratio measured
// with the contenders interleaved says how sealkit fares on this machine,
// whatever else the machine is doing.
//
// A Comparison is sealkit's operation ("ours") and one or more rivals with
// the same job. Measure runs them iteration by iteration in a rotating
// order, in several rounds, and reports per round the ratio
// rival time ÷ sealkit time; the median of the rounds is the figure. Above 1
// means sealkit is faster.
//
// Adding a row is adding one Def to Defs: a function that builds the
// Comparison for a Config. Probes measure what is not a ratio (allocations
// per segment, peak heap).
//
// The module that holds this package is separate from the SDK's, so that
// the peers it compares against never enter the SDK's go.mod.
package bench
