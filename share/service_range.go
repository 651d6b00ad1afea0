package share

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrRange is a ranged download that asked for bytes wholly past the end of
// the payload. The error is a [*RangeError], which gives the payload's size.
var ErrRange = errors.New("share: range not satisfiable")

// RangeError is [ErrRange] with the size of the payload the range missed,
// which an HTTP 416 answer states (Content-Range: bytes */Size).
type RangeError struct {
	Size int64
}

// Error says the range missed and the payload's size.
func (e *RangeError) Error() string {
	return fmt.Sprintf("%v: the payload has %d bytes", ErrRange, e.Size)
}

// Is makes errors.Is(err, ErrRange) hold.
func (e *RangeError) Is(target error) bool { return target == ErrRange }

// Span is where the bytes of a ranged download lie: N bytes from Off of a
// payload of Size bytes (Content-Range: bytes Off-(Off+N-1)/Size).
type Span struct {
	Off, N, Size int64
}

// resolveRange places at most n bytes from off in a payload of size bytes:
// off < 0 counts from the end (the last -off bytes, all of them if fewer),
// as an HTTP suffix range does, and n is cut at the end. n must be at least
// 1; a range that starts at or past the end is a [*RangeError].
func resolveRange(off, n, size int64) (Span, error) {
	if n < 1 {
		return Span{}, invalid("range length %d", n)
	}
	if off < 0 {
		if off == -1<<63 {
			return Span{}, invalid("range suffix")
		}
		off = max(0, size+off) // size ≥ 0 and -off ≥ 1: no overflow
	}
	if off >= size {
		return Span{}, &RangeError{Size: size}
	}
	return Span{Off: off, N: min(n, size-off), Size: size}, nil
}

// DownloadRange is [Service.Download] of at most n bytes (n ≥ 1) from
// offset off of the payload, read with [BlobStore.GetRange]: the same
// access check, the same signed ActionDownload event and the same audit
// chaining (at most one entry per user, item and DownloadAuditWindow, so
// many ranges of one file cost one entry). off < 0 asks for the last -off
// bytes; n is cut at the end of the payload. The Span says which bytes the
// reader holds; the OpDownload change reports its N as Size. A range
// starting past the end is a [*RangeError] ([ErrRange]) and is not chained.
func (s *Service) DownloadRange(ctx context.Context, actor, id string, off, n int64, ev *Event) (io.ReadCloser, Span, error) {
	it, err := readableItem(ctx, s.Stores, actor, id)
	if err != nil {
		return nil, Span{}, err
	}
	if err := s.checkEvent(ctx, s.Stores, ev, ActionDownload, actor, id, ""); err != nil {
		return nil, Span{}, err
	}
	sp, err := resolveRange(off, n, it.Size)
	if err != nil {
		return nil, Span{}, err
	}
	if err := s.atomic(ctx, func(st Stores) error { return s.chainDownload(ctx, st, ev) }); err != nil {
		return nil, Span{}, err
	}
	rc, err := s.Blobs.GetRange(ctx, it.BlobRef, sp.Off, sp.N)
	if err != nil {
		return nil, Span{}, err
	}
	s.notify(ctx, Change{Op: OpDownload, Actor: actor, Owner: it.Owner, Item: id, Version: it.Version, Size: sp.N})
	return rc, sp, nil
}

// DownloadRange calls [Service.DownloadRange] as l.Actor.
func (l Local) DownloadRange(ctx context.Context, id string, off, n int64, ev *Event) (io.ReadCloser, Span, error) {
	return l.Service.DownloadRange(ctx, l.Actor, id, off, n, ev)
}
