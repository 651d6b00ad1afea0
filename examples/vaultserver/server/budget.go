package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
)

// CodeBusy: the server holds as many request bodies as it allows; retry
// after the Retry-After seconds.
const CodeBusy = "busy"

// budgetRetryAfter is the Retry-After, in seconds, of a request refused
// for lack of body budget: bodies in flight are read within seconds.
const budgetRetryAfter = "2"

var (
	errBusy     = &apiError{http.StatusServiceUnavailable, CodeBusy}
	errUserBusy = &apiError{http.StatusTooManyRequests, CodeRateLimited}
	errNoTicket = errors.New("vault: request reached admission without a body ticket")
)

// budget bounds the request body bytes the server holds at once, in all
// and per principal (a user, or a client address for anonymous requests),
// so that validly authenticated clients cannot make it buffer more than it
// can afford. A request takes its declared size before a byte of its body
// is read and gives it back when its handler returns.
type budget struct {
	total, perKey int64

	mu    sync.Mutex
	used  int64
	byKey map[string]int64
}

func newBudget(total, perKey int64) *budget {
	return &budget{total: total, perKey: perKey, byKey: make(map[string]int64)}
}

// take reserves n bytes for key, or refuses: errUserBusy when key holds
// too much, errBusy when the server does.
func (b *budget) take(key string, n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byKey[key]+n > b.perKey {
		return errUserBusy
	}
	if b.used+n > b.total {
		return errBusy
	}
	b.used += n
	b.byKey[key] += n
	return nil
}

func (b *budget) give(key string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.byKey[key] -= n; b.byKey[key] <= 0 {
		delete(b.byKey, key)
	}
}

// ticket is one request's claim on the budget: made by the route with the
// size to charge, taken once the principal is known (admit), returned when
// the route's handler returns. One request's goroutine uses it.
type ticket struct {
	b    *budget
	n    int64
	key  string
	held bool
}

type ticketKey struct{}

// admit charges r's ticket to key before r's body is read. Requests
// without a body cost nothing; a second call is a no-op.
func admit(r *http.Request, key string) error {
	t, ok := r.Context().Value(ticketKey{}).(*ticket)
	if !ok {
		return errNoTicket // a route without limits: refuse rather than read unbudgeted
	}
	if t.held || t.n == 0 {
		return nil
	}
	if err := t.b.take(key, t.n); err != nil {
		return err
	}
	t.key, t.held = key, true
	return nil
}

func (t *ticket) release() {
	if t.held {
		t.b.give(t.key, t.n)
		t.held = false
	}
}

func withTicket(ctx context.Context, t *ticket) context.Context {
	return context.WithValue(ctx, ticketKey{}, t)
}

// writeRefusal answers a request refused before its body was read: with
// Retry-After when the refusal passes once bodies in flight are done, and
// closing the connection rather than letting net/http wait for the unread
// body.
func writeRefusal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errBusy) || errors.Is(err, errUserBusy) {
		w.Header().Set("Retry-After", budgetRetryAfter)
	}
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
	writeError(w, err)
}
