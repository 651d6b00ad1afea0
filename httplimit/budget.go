package httplimit

import (
	"net/http"
	"sync"
)

// budget bounds the request body bytes a server holds at once, so that
// clients cannot make it buffer more than it can afford. Bytes are charged
// as they arrive, not as declared: a request that sends nothing holds
// nothing, however large its Content-Length. There are two pools, each
// with a cap in all and per key: users (validly authenticated, keyed by
// user) and anonymous requests (keyed by client address). Anonymous bytes
// never count against the users' pool, so anonymous traffic cannot refuse
// an authenticated user's body.
type budget struct {
	mu          sync.Mutex
	users, anon pool
}

// pool is one budget's caps and use; budget.mu guards used and byKey.
type pool struct {
	total, perKey int64
	used          int64
	byKey         map[string]int64
}

func (b *budget) pool(users bool) *pool {
	if users {
		return &b.users
	}
	return &b.anon
}

// check reports whether n more bytes for key fit p now: ErrRateLimited
// when key holds too much, ErrBusy when p does.
func (p *pool) check(key string, n int64) error {
	if p.byKey[key]+n > p.perKey {
		return &RetryError{ErrRateLimited, budgetWait}
	}
	if p.used+n > p.total {
		return &RetryError{ErrBusy, budgetWait}
	}
	return nil
}

// fits reports, without taking anything, whether n bytes for key fit p.
func (b *budget) fits(p *pool, key string, n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return p.check(key, n)
}

// take charges n bytes to key, or refuses as fits does.
func (b *budget) take(p *pool, key string, n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := p.check(key, n); err != nil {
		return err
	}
	p.used += n
	p.byKey[key] += n
	return nil
}

func (b *budget) give(p *pool, key string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p.used -= n
	if p.byKey[key] -= n; p.byKey[key] <= 0 {
		delete(p.byKey, key)
	}
}

// ticket is one request's account with the budget: made by the route with
// the declared size, bound to a pool and key once the caller is known
// (admit), charged as body bytes arrive (charge), and paid back when the
// route's handler returns. One request's goroutine uses it.
type ticket struct {
	b        *budget
	declared int64 // Content-Length, or -1
	pool     *pool // nil until admitted
	key      string
	n        int64 // bytes charged
	refused  error // the refusal that stopped the body, if any
}

type ticketKey struct{}

func admit(r *http.Request, users bool, key string) error {
	t, ok := r.Context().Value(ticketKey{}).(*ticket)
	if !ok {
		return ErrNotAdmitted // not under a Route: refuse rather than read unbudgeted
	}
	if t.pool != nil {
		return nil
	}
	p := t.b.pool(users)
	if t.declared > 0 {
		if err := t.b.fits(p, key, t.declared); err != nil {
			return err
		}
	}
	t.pool, t.key = p, key
	return nil
}

// charge takes n more body bytes from the budget. Its refusal is kept, so
// the route answers with it rather than with the handler's read error.
func (t *ticket) charge(n int64) error {
	if t.refused != nil {
		return t.refused
	}
	if t.pool == nil {
		t.refused = ErrNotAdmitted
		return t.refused
	}
	if err := t.b.take(t.pool, t.key, n); err != nil {
		t.refused = err
		return err
	}
	t.n += n
	return nil
}

func (t *ticket) release() {
	if t.n > 0 {
		t.b.give(t.pool, t.key, t.n)
		t.n = 0
	}
}
