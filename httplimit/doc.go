// Package httplimit protects an HTTP server from clients that hold its
// resources: connections, goroutines, memory for request bodies, and time.
// It assumes hostile clients, including validly authenticated ones, and
// bounds what each one can take, by user or by client address
// ([ClientAddr]: an IPv4 address or an IPv6 /64), with every count held
// in bounded memory. It uses the standard library only.
//
// A server wires it in four places:
//
//	l, err := httplimit.New(httplimit.Config{})    // zero: the defaults
//	mux.Handle("POST /upload", l.Route(httplimit.Route{MaxBody: 64 << 20, Transfer: httplimit.Upload, Authenticates: true}, upload))
//	srv := l.Server(l.Handler(mux))                 // header and idle timeouts, HTTP/2 streams
//	srv.Serve(l.Listener(ln))                       // connections per address
//
// and an authenticating handler calls [Admit] with the user before it
// reads the body.
//
// # What each limit defends against
//
//   - Connections per client address ([Limits.Listener], MaxConnsPerAddr,
//     default 32): one client opening connections until the server runs
//     out of file descriptors and goroutines. One more is closed as it is
//     accepted.
//   - Slow headers, idle connections and big headers ([Limits.Server]:
//     ReadHeaderTimeout 10 s, IdleTimeout 2 min, MaxHeaderBytes 64 KiB):
//     connections held open at no cost to the client (slowloris).
//   - HTTP/2 streams per connection (MaxStreamsPerConn, default 16) and
//     requests in flight per client address ([Limits.Handler],
//     MaxRequestsPerAddr, default 64, then 429 rate_limited): HTTP/2
//     carries many requests on one connection, so counting connections
//     alone does not bound them.
//   - Slow bodies and slow readers (ReadTimeout 10 s, WriteTimeout 30 s,
//     and on [Upload] and [Download] routes MinTransferRate, 64 KiB/s):
//     a request that trickles holds a goroutine and its buffers. Fixed
//     deadlines would either cut off large honest transfers or let small
//     ones hang for minutes, so transfers get deadlines that move with the
//     bytes, never more than the timeout ahead: a transfer that keeps the
//     rate may take as long as it needs, one that stalls is cut off after
//     the timeout.
//   - Body caps per route ([Route].MaxBody): a Content-Length above the
//     cap is 413 too_large before a byte is read.
//   - Body memory in flight ([Admit], MaxInflightBytes 512 MiB and
//     MaxInflightBytesPerUser 64 MiB; MaxAnonInflightBytes 32 MiB and
//     MaxAnonInflightBytesPerAddr 2 MiB): many requests buffering bodies
//     at once. Bytes are charged as they arrive, so a signed request that
//     declares a large body and sends nothing holds nothing; a request
//     whose declared size does not fit is refused before its body, one
//     that runs over while sending is cut off; either way with
//     Retry-After, 503 busy when a pool is full, 429 rate_limited when the
//     user (address) holds its share. Anonymous requests have a pool of
//     their own, so anonymous traffic cannot refuse an authenticated
//     user's body.
//   - Guessing ([RateLimiter], token buckets; [Backoff], a doubling delay
//     per owner and address): online attacks on passwords, link secrets
//     and other names. Both hold at most [MaxKeys] keys, forgetting the
//     least recently used.
//   - Work that holds memory until its client reads it ([Gate]): open
//     downloads per user.
//
// Refusals are answered through [Config.WriteError], by default as
// {"error": code} with [CodeBusy], [CodeRateLimited] or [CodeTooLarge].
package httplimit
