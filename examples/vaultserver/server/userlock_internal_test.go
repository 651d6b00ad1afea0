package server

import (
	"fmt"
	"runtime"
	"testing"
)

// userLock holds no state per user: taking the locks of 100,000 users
// leaves the heap where it was (it grew by an entry per user, for good),
// and a user always gets the same lock.
func TestUserLockBounded(t *testing.T) {
	s := &Server{}
	users := make([]string, 100_000)
	for i := range users {
		users[i] = fmt.Sprintf("user%d", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	held := 0
	for _, u := range users {
		mu := s.userLock(u)
		mu.Lock()
		held++ // the lock guards this count, so the section is not empty
		mu.Unlock()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 1<<20 {
		t.Fatalf("locks of %d users kept %d bytes", len(users), grew)
	}
	runtime.KeepAlive(users)
	if held != len(users) {
		t.Fatalf("took %d of %d locks", held, len(users))
	}
	first, second := s.userLock("alice"), s.userLock("alice")
	if first != second {
		t.Fatal("one user, two locks")
	}
}
