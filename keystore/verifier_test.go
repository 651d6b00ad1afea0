package keystore_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/keystore"
)

// countingLimiter allows max failures per owner, then refuses.
type countingLimiter struct {
	mu       sync.Mutex
	max      int
	failures map[string]int
	calls    int
}

var errTooMany = errors.New("too many attempts")

func (l *countingLimiter) Allow(_ context.Context, owner string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.failures[owner] >= l.max {
		return errTooMany
	}
	return nil
}

func (l *countingLimiter) Done(_ context.Context, owner string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ok {
		delete(l.failures, owner)
	} else {
		l.failures[owner]++
	}
}

func TestVerifier(t *testing.T) {
	ctx := context.Background()
	pepper := bytes.Repeat([]byte{7}, 32)
	if _, err := keystore.NewVerifier(pepper[:31], nil); err == nil {
		t.Fatal("short pepper accepted")
	}
	lim := &countingLimiter{max: 3, failures: map[string]int{}}
	v, err := keystore.NewVerifier(pepper, lim)
	if err != nil {
		t.Fatal(err)
	}
	_, s, _ := mustAccount(t, weakPBKDF2())
	stored, err := v.Enroll(s.Owner(), s.AuthKey())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, s.AuthKey()) {
		t.Fatal("verifier stores the auth key")
	}
	if err := v.Verify(ctx, s.Owner(), stored, s.AuthKey()); err != nil {
		t.Fatal(err)
	}
	wrong := s.AuthKey()
	wrong[0] ^= 1
	tests := []struct {
		name, owner string
		stored, key []byte
	}{
		{"wrong-key", s.Owner(), stored, wrong},
		{"short-key", s.Owner(), stored, wrong[:31]},
		{"other-owner", "bob", stored, s.AuthKey()},
		{"other-pepper", s.Owner(), mustEnroll(t, bytes.Repeat([]byte{8}, 32), s.Owner(), s.AuthKey()), s.AuthKey()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim.failures = map[string]int{}
			if err := v.Verify(ctx, tc.owner, tc.stored, tc.key); err != keystore.ErrUnlock {
				t.Fatalf("%v, want ErrUnlock", err)
			}
		})
	}
	lim.failures = map[string]int{}
	for range 3 {
		_ = v.Verify(ctx, s.Owner(), stored, wrong)
	}
	if err := v.Verify(ctx, s.Owner(), stored, s.AuthKey()); !errors.Is(err, errTooMany) {
		t.Fatalf("limiter not consulted: %v", err)
	}
	if _, err := v.Enroll(s.Owner(), wrong[:16]); err == nil {
		t.Fatal("Enroll accepted a short auth key")
	}
}

func mustEnroll(t *testing.T, pepper []byte, owner string, key []byte) []byte {
	v, err := keystore.NewVerifier(pepper, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.Enroll(owner, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
