package share_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharetest"
)

// floorServer is a server that offers a link with the iterations it chose
// and counts the proofs it is sent; it stops every open at the proof.
type floorServer struct {
	share.Transport // nil: OpenLink must not call anything else
	iterations      int
	proofs          int
}

var errStopAtProof = errors.New("stopped at the proof")

func (s *floorServer) LinkParams(context.Context, string) (*share.LinkParams, error) {
	return &share.LinkParams{ID: "L1", Salt: make([]byte, share.SaltSize), Iterations: s.iterations}, nil
}

func (s *floorServer) AccessLink(context.Context, string, *share.AccessRequest) (*share.LinkGrant, io.ReadCloser, error) {
	s.proofs++
	return nil, nil, errStopAtProof
}

// openAt opens a link whose server asks for iterations and reports whether
// the opener derived and sent a proof (accepted the count) or refused it.
func openAt(t *testing.T, iterations int) (sentProof bool) {
	t.Helper()
	s := &floorServer{iterations: iterations}
	_, err := share.OpenLink(context.Background(), s, share.LinkSecret{ID: "L1", Secret: "secret"}, io.Discard)
	switch {
	case errors.Is(err, errStopAtProof) && s.proofs == 1:
		return true
	case errors.Is(err, share.ErrInvalid) && s.proofs == 0:
		return false
	}
	t.Fatalf("iterations %d: err %v after %d proofs", iterations, err, s.proofs)
	return false
}

// TestLinkIterationFloor: an opener refuses, before any KDF work, a server
// that lowers a link's iterations below share.LinkIterations; only
// sharetest.LowerLinkIterations moves the floor, and only until the test's
// cleanup.
func TestLinkIterationFloor(t *testing.T) {
	if openAt(t, share.LinkIterations-1) {
		t.Fatal("production floor: a link below LinkIterations was opened")
	}
	t.Run("lowered", func(t *testing.T) {
		sharetest.LowerLinkIterations(t, testLinkIterations)
		if !openAt(t, testLinkIterations) {
			t.Fatal("lowered floor: a link at the lowered floor was refused")
		}
		if openAt(t, testLinkIterations-1) {
			t.Fatal("lowered floor: a link below the lowered floor was opened")
		}
	})
	if openAt(t, testLinkIterations) || openAt(t, share.LinkIterations-1) {
		t.Fatal("the floor stayed lowered after the test's cleanup")
	}
}
