package bench

import (
	"time"
)

// Mode says how thorough a run is.
type Mode int

const (
	// Tiny runs every comparison once on small inputs: for tests, so that no
	// comparison can rot.
	Tiny Mode = iota
	// Quick measures the sizes in a few rounds: for CI, under two
	// minutes on two cores.
	Quick
	// Full adds the 1 GiB payloads and runs more, longer rounds: for
	// BENCHMARKS.md.
	Full
)

func (m Mode) String() string {
	switch m {
	case Tiny:
		return "tiny"
	case Quick:
		return "quick"
	default:
		return "full"
	}
}

// Config is what a Def builds its comparisons for.
type Config struct {
	Mode Mode
}

// StreamSize is the payload of the streaming comparisons with targets.
func (c Config) StreamSize() int {
	if c.Mode == Tiny {
		return 256 << 10
	}
	return 64 << 20
}

// Sizes are the payload sizes of the throughput scale.
func (c Config) Sizes() []int {
	switch c.Mode {
	case Tiny:
		return []int{1 << 10, 64 << 10}
	case Quick:
		return []int{1 << 10, 64 << 10, 1 << 20, 64 << 20}
	default:
		return []int{1 << 10, 64 << 10, 1 << 20, 64 << 20, 1 << 30}
	}
}

// RecipientCounts are the recipient counts of the seal-cost scale.
func (c Config) RecipientCounts() []int {
	if c.Mode == Tiny {
		return []int{1, 10}
	}
	return []int{1, 10, 100}
}

// RSABits is the RSA modulus size of the unwrap comparison. Tiny runs use
// 2048 bits because generating a 4096-bit key takes seconds.
func (c Config) RSABits() int {
	if c.Mode == Tiny {
		return 2048
	}
	return 4096
}

// Settings returns how long to measure each comparison.
func (c Config) Settings() Settings {
	switch c.Mode {
	case Tiny:
		return Settings{Rounds: 1, MinIters: 1}
	case Quick:
		return Settings{Rounds: 7, RoundTime: 250 * time.Millisecond, MinIters: 1}
	default:
		return Settings{Rounds: 11, RoundTime: 400 * time.Millisecond, MinIters: 2}
	}
}

// A Def is one kind of comparison, possibly at several sizes.
type Def struct {
	Name string
	// NotFIPS, if set, says why the Def cannot run under
	// GODEBUG=fips140=only (X25519, caller-chosen GCM nonces).
	NotFIPS string
	// Build returns the comparisons for cfg, each made only when it is
	// measured and dropped after, so large inputs do not pile up.
	Build func(cfg Config) ([]Pending, error)
}

// Pending is a comparison not yet made.
type Pending struct {
	Name string
	Make func() (*Comparison, error)
}

func lazy(name string, make func() (*Comparison, error)) Pending {
	return Pending{Name: name, Make: make}
}

// A Probe measures figures that are not ratios.
type Probe struct {
	Name    string
	NotFIPS string
	Run     func(cfg Config) ([]Metric, error)
}

// A Metric is one probe figure.
type Metric struct {
	Name   string  // machine name: "metric <Name> <Value>"
	Title  string  // the table's description
	Value  float64 // in Unit
	Unit   string
	Target string // e.g. "0"; empty if informational
	Met    bool   // whether Target holds (ignored without one)
}

// Defs returns every comparison, in report order. To add a row, add a Def.
func Defs() []Def {
	return []Def{
		{Name: "stream", NotFIPS: "the raw loop, Tink and age use caller-chosen GCM nonces or X25519", Build: buildStream},
		{Name: "oneshot", NotFIPS: "the raw loop uses caller-chosen GCM nonces", Build: buildOneShot},
		{Name: "fixed", Build: buildFixed},
		{Name: "segment", NotFIPS: "the raw seal uses caller-chosen GCM nonces", Build: buildSegment},
		{Name: "parallel", Build: buildParallel},
		{Name: "small", NotFIPS: "X25519 is refused", Build: buildSmall},
		{Name: "rsa", Build: buildRSA},
		{Name: "identity", Build: buildIdentity},
		{Name: "storageauth", Build: buildStorageAuth},
		{Name: "keystore-pbkdf2", Build: buildKeystorePBKDF2},
		{Name: "keystore-argon2id", NotFIPS: "Argon2id is not FIPS-approved", Build: buildKeystoreArgon2id},
		{Name: "scale", NotFIPS: "the raw loop, Tink and age use caller-chosen GCM nonces or X25519", Build: buildScale},
		{Name: "recipients", NotFIPS: "X25519 is refused", Build: buildRecipients},
	}
}

// Probes returns every probe, in report order.
func Probes() []Probe {
	return []Probe{
		{Name: "allocs", Run: probeAllocs},
		{Name: "heap", Run: probeHeap},
	}
}
