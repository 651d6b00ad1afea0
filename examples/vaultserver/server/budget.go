package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
)

// CodeBusy: the server holds as many request bodies as it allows; retry
// after the Retry-After seconds.
const CodeBusy = "busy"

// budgetRetryAfter is the Retry-After, in seconds, of a request refused
// for lack of body budget: bodies in flight are read within seconds.
const budgetRetryAfter = "2"

// anonPrefix starts the budget key of an anonymous request (its client
// address); a user's key starts "user:".
const anonPrefix = "addr:"

var (
	errBusy     = &apiError{http.StatusServiceUnavailable, CodeBusy}
	errUserBusy = &apiError{http.StatusTooManyRequests, CodeRateLimited}
	errNoTicket = errors.New("vault: request body read without admission")
)

// budget bounds the request body bytes the server holds at once, so that
// clients cannot make it buffer more than it can afford. Bytes are charged
// as they arrive, not as declared: a request that sends nothing holds
// nothing, however large its Content-Length. There are two pools, each
// with a cap in all and per key: users (validly authenticated, keyed by
// user) and anonymous requests (keyed by client address). Anonymous bytes
// never count against the users' pool, so anonymous traffic cannot refuse
// an authenticated user's body.
type budget struct {
	users, anon pool

	mu    sync.Mutex
	byKey map[string]int64
}

// pool is one budget's caps and use. budget.mu guards used.
type pool struct {
	total, perKey int64
	used          int64
}

func newBudget(total, perUser, anonTotal, anonPerAddr int64) *budget {
	return &budget{
		users: pool{total: total, perKey: perUser},
		anon:  pool{total: anonTotal, perKey: anonPerAddr},
		byKey: make(map[string]int64),
	}
}

func (b *budget) pool(key string) *pool {
	if strings.HasPrefix(key, anonPrefix) {
		return &b.anon
	}
	return &b.users
}

// fits reports, without taking anything, whether n more bytes for key are
// within its pool now: errUserBusy when key holds too much, errBusy when
// the pool does.
func (b *budget) fits(key string, n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.check(b.pool(key), key, n)
}

func (b *budget) check(p *pool, key string, n int64) error {
	if b.byKey[key]+n > p.perKey {
		return errUserBusy
	}
	if p.used+n > p.total {
		return errBusy
	}
	return nil
}

// take charges n bytes to key, or refuses as fits does.
func (b *budget) take(key string, n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.pool(key)
	if err := b.check(p, key, n); err != nil {
		return err
	}
	p.used += n
	b.byKey[key] += n
	return nil
}

func (b *budget) give(key string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pool(key).used -= n
	if b.byKey[key] -= n; b.byKey[key] <= 0 {
		delete(b.byKey, key)
	}
}

// ticket is one request's account with the budget: made by the route with
// the declared size, bound to a principal once it is known (admit),
// charged as body bytes arrive (charge), and paid back when the route's
// handler returns. One request's goroutine uses it.
type ticket struct {
	b        *budget
	declared int64 // Content-Length, or -1
	key      string
	admitted bool
	n        int64 // bytes charged
	refused  error // the budget refusal that stopped the body, if any
}

type ticketKey struct{}

// admit binds r's ticket to key before r's body is read, refusing at once
// a request whose declared size could not fit key's budget now (so the
// client is told before it sends the body). A second call is a no-op.
func admit(r *http.Request, key string) error {
	t, ok := r.Context().Value(ticketKey{}).(*ticket)
	if !ok {
		return errNoTicket // a route without limits: refuse rather than read unbudgeted
	}
	if t.admitted {
		return nil
	}
	if t.declared > 0 {
		if err := t.b.fits(key, t.declared); err != nil {
			return err
		}
	}
	t.key, t.admitted = key, true
	return nil
}

// charge takes n more body bytes from the budget. Its refusal is kept, so
// the route answers with it rather than with the handler's read error.
func (t *ticket) charge(n int64) error {
	if t.refused != nil {
		return t.refused
	}
	if !t.admitted {
		t.refused = errNoTicket
		return errNoTicket
	}
	if err := t.b.take(t.key, n); err != nil {
		t.refused = err
		return err
	}
	t.n += n
	return nil
}

func (t *ticket) release() {
	if t.n > 0 {
		t.b.give(t.key, t.n)
		t.n = 0
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
