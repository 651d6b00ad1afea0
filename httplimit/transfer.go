package httplimit

import (
	"io"
	"maps"
	"net/http"
	"time"
)

// paceChunk is the most bytes a download writes under one deadline
// extension, so a large Write is paced like many small ones.
const paceChunk = 32 << 10

// pace holds transfers to MinTransferRate instead of fixed deadlines: an
// upload's read deadline starts ReadTimeout away and moves by the bytes
// received (its response then has WriteTimeout more), a download's write
// deadline starts WriteTimeout away and moves by the bytes written.
//
// Once a body has ended, net/http reads on in the background and takes a
// read timeout as the client gone, cancelling the request's context: so
// the read deadline then follows the write deadline, which bounds the
// rest of the request.
func (l *Limits) pace(w http.ResponseWriter, k Transfer, body *meteredBody, g *guardWriter) {
	rc := http.NewResponseController(w)
	rate, rt, wt := l.cfg.MinTransferRate, l.cfg.ReadTimeout, l.cfg.WriteTimeout
	switch k {
	case Upload:
		p := newPacer(func(d time.Time) {
			_ = rc.SetReadDeadline(d)
			_ = rc.SetWriteDeadline(d.Add(wt))
		}, rate, rt)
		body.pace = p
		body.eof = func() { _ = rc.SetReadDeadline(p.deadline.Add(wt)) }
	case Download:
		ended := false // the request body, read under ReadTimeout
		p := newPacer(func(d time.Time) {
			if ended {
				_ = rc.SetReadDeadline(d)
			}
			_ = rc.SetWriteDeadline(d)
		}, rate, wt)
		g.pace = p
		body.eof = func() {
			ended = true
			_ = rc.SetReadDeadline(p.deadline)
		}
	}
}

// pacer enforces a minimum transfer rate by moving a deadline as bytes
// move: each byte buys 1/rate of time, and at most grace may be banked
// ahead, so a transfer that falls behind rate by more than grace (or sends
// nothing for grace) hits its deadline and is cut off. Its first deadline
// is grace from when it starts.
type pacer struct {
	set      func(time.Time) // applies a deadline to the connection
	rate     int64           // bytes per second
	grace    time.Duration
	deadline time.Time
}

func newPacer(set func(time.Time), rate int64, grace time.Duration) *pacer {
	p := &pacer{set: set, rate: rate, grace: grace, deadline: time.Now().Add(grace)}
	set(p.deadline)
	return p
}

// credit extends the deadline for n bytes moved (or about to move).
func (p *pacer) credit(n int) {
	d := p.deadline
	if banked := time.Now().Add(p.grace); d.After(banked) {
		d = banked
	}
	p.deadline = d.Add(transferTime(int64(n), p.rate))
	p.set(p.deadline)
}

// meteredBody is a request body that charges its bytes to the request's
// ticket as they arrive and, for uploads, paces the read deadline by them.
// Bytes over budget are dropped and the read fails.
type meteredBody struct {
	io.ReadCloser
	t    *ticket
	pace *pacer // nil: the fixed deadline stands
	eof  func() // called once the body has ended
}

func (b *meteredBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		if cerr := b.t.charge(int64(n)); cerr != nil {
			return 0, cerr
		}
		if b.pace != nil {
			b.pace.credit(n)
		}
	}
	if err == io.EOF && b.eof != nil {
		b.eof()
		b.eof = nil
	}
	return n, err
}

// guardWriter is the ResponseWriter a route's handler gets. If the
// request's body was stopped for lack of budget, the handler sees a read
// error and answers as for a broken body; the client gets the budget's
// refusal instead. For downloads it also paces the write deadline by the
// bytes written.
type guardWriter struct {
	http.ResponseWriter
	r       *http.Request
	t       *ticket
	l       *Limits
	base    http.Header // the headers set before the handler ran
	pace    *pacer      // nil: the fixed deadline stands
	wrote   bool
	swallow bool // the refusal was sent; the handler's answer is dropped
}

func (g *guardWriter) WriteHeader(code int) {
	if g.wrote {
		return
	}
	if code < 200 {
		g.ResponseWriter.WriteHeader(code)
		return
	}
	g.wrote = true
	if g.t.refused != nil {
		g.swallow = true
		h := g.Header()
		clear(h)
		maps.Copy(h, g.base)
		g.l.refuse(g.ResponseWriter, g.r, g.t.refused)
		return
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *guardWriter) Write(p []byte) (int, error) {
	if !g.wrote {
		g.WriteHeader(http.StatusOK)
	}
	if g.swallow {
		return len(p), nil
	}
	if g.pace == nil {
		return g.ResponseWriter.Write(p)
	}
	var n int
	for len(p) > 0 {
		k := min(len(p), paceChunk)
		g.pace.credit(k)
		m, err := g.ResponseWriter.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// finish sends the refusal if the handler returned without answering.
func (g *guardWriter) finish() {
	if !g.wrote && g.t.refused != nil {
		g.WriteHeader(http.StatusOK)
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (g *guardWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }
