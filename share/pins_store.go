package share

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealkit/sealkit/keystore"
)

// StorePins is a PinStore over a keystore.Store: the user's pins live beside
// the user's sealed key records (local SQLite, or the server's store), under
// Owner and the ID "pin/" followed by the pin's name. The records are
// already sealed under the Client's KEK; the store adds nothing but keeping
// them.
type StorePins struct {
	Store keystore.Store
	Owner string
}

var _ PinStore = StorePins{}

// storePinTries bounds the compare-and-swap retries of PutPin when another
// writer races it.
const storePinTries = 8

// PutPin implements PinStore: a Put for a new name, else an Update at the
// stored revision, retried if another writer moved it.
func (s StorePins) PutPin(ctx context.Context, name string, record []byte) error {
	id := "pin/" + name
	for range storePinTries {
		e, err := s.Store.Get(ctx, s.Owner, id)
		switch {
		case errors.Is(err, keystore.ErrNotFound):
			_, err = s.Store.Put(ctx, s.Owner, id, record)
			if !errors.Is(err, keystore.ErrExists) {
				return err
			}
		case err != nil:
			return err
		default:
			_, err = s.Store.Update(ctx, s.Owner, id, e.Version, record)
			if !errors.Is(err, keystore.ErrConflict) && !errors.Is(err, keystore.ErrNotFound) {
				return err
			}
		}
	}
	return fmt.Errorf("%w: pin %s kept changing", ErrConflict, name)
}

// Pin implements PinStore.
func (s StorePins) Pin(ctx context.Context, name string) ([]byte, error) {
	e, err := s.Store.Get(ctx, s.Owner, "pin/"+name)
	if err != nil {
		return nil, err
	}
	return e.Data, nil
}
