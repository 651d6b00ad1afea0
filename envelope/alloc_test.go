package envelope_test

import (
	"crypto/fips140"
	"testing"

	"github.com/sealkit/sealkit/envelope"
)

// maxSmallObjectAllocs caps the allocations of sealing or opening a 1 KiB
// object for one KEK recipient into a caller's buffer: the fixed cost of an
// envelope is mostly allocations. The benchmark's limit is 25; 2 and 4 are
// measured (the AES and GCM objects of the payload key among them), a few
// more under the race detector, whose sync.Pool drops
// some of what is put back.
const maxSmallObjectAllocs = 10

// TestSmallObjectAllocs counts, rather than times, the fixed cost of a
// small envelope. The limit is for the default mode: in FIPS 140-3 mode
// the key schedule goes through crypto/hkdf and crypto/hmac, which allocate
// more (46 and 52, measured).
func TestSmallObjectAllocs(t *testing.T) {
	if fips140.Enabled() {
		t.Skip("the allocation limit holds outside FIPS 140-3 mode")
	}
	kek, err := envelope.NewKEK("kek", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	pt := make([]byte, 1<<10)
	ad := []byte("item:1|owner:alice")
	env, err := envelope.Seal(pt, ad, nil, kek)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	seal := testing.AllocsPerRun(100, func() {
		if _, err := envelope.SealAppend(buf[:0], pt, ad, nil, kek); err != nil {
			t.Fatal(err)
		}
	})
	open := testing.AllocsPerRun(100, func() {
		if _, err := envelope.OpenAppend(buf[:0], env, ad, nil, kek); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("1 KiB, one KEK recipient: seal %.0f allocations, open %.0f", seal, open)
	if seal > maxSmallObjectAllocs || open > maxSmallObjectAllocs {
		t.Errorf("seal %.0f, open %.0f allocations; at most %d each", seal, open, maxSmallObjectAllocs)
	}
}
