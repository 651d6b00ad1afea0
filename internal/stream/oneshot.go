package stream

// SealAll appends the sealed payload of plaintext to dst, using up to
// workers goroutines. With one, p is its scratch (see [Position]), so that
// a caller holding one allocates nothing but perhaps dst; with more, each
// gets its own.
func (c *Cipher) SealAll(dst, plaintext []byte, workers int, p *Position) ([]byte, error) {
	total := c.SealedSize(int64(len(plaintext)))
	segs := int((total - int64(len(plaintext))) / int64(c.Overhead()))
	if err := c.checkIndex(uint64(segs - 1)); err != nil {
		return nil, err
	}
	start := len(dst)
	dst = grow(dst, int(total))
	out := dst[start:]
	if Workers(workers) == 1 || segs == 1 {
		c.sealSegments(out, plaintext, 0, segs, segs, p) // no goroutines, closures or slices to allocate
		return dst, nil
	}
	pos := make([]Position, workers)
	parallel(segs, workers, func(w, lo, hi int) { c.sealSegments(out, plaintext, lo, hi, segs, &pos[w]) })
	return dst, nil
}

// sealSegments seals segments [lo, hi) of a one-shot payload of segs
// segments into their places in out.
func (c *Cipher) sealSegments(out, plaintext []byte, lo, hi, segs int, pos *Position) {
	ss, full := c.segSize, c.sealedSegmentSize()
	for s := lo; s < hi; s++ {
		pt := plaintext[s*ss : min((s+1)*ss, len(plaintext))]
		c.Seal(out[s*full:s*full], pt, uint64(s), s == segs-1, pos)
	}
}

// OpenAll appends the plaintext of the sealed payload to dst, using up to
// workers goroutines, with p as scratch as for SealAll. On failure it returns nil and ErrCorrupt: no part of
// the plaintext is released.
func (c *Cipher) OpenAll(dst, sealed []byte, workers int, p *Position) ([]byte, error) {
	size, segs64, err := c.PlainSize(int64(len(sealed)))
	if err != nil {
		return nil, err
	}
	if c.checkIndex(uint64(segs64-1)) != nil {
		return nil, ErrCorrupt // more segments than the suite allows
	}
	segs := int(segs64)
	start := len(dst)
	dst = grow(dst, int(size))
	out := dst[start:]
	ok := true
	if Workers(workers) == 1 || segs == 1 {
		ok = c.openSegments(out, sealed, 0, segs, segs, p) // no goroutines, closures or slices to allocate
	} else {
		failed := make([]bool, workers)
		pos := make([]Position, workers)
		parallel(segs, workers, func(w, lo, hi int) { failed[w] = !c.openSegments(out, sealed, lo, hi, segs, &pos[w]) })
		for _, f := range failed {
			ok = ok && !f
		}
	}
	if !ok {
		clear(out)
		return nil, ErrCorrupt
	}
	return dst, nil
}

// openSegments opens segments [lo, hi) of a one-shot payload of segs
// segments into their places in out, and reports whether all authenticated.
func (c *Cipher) openSegments(out, sealed []byte, lo, hi, segs int, pos *Position) bool {
	ss, full := c.segSize, c.sealedSegmentSize()
	for s := lo; s < hi; s++ {
		ct := sealed[s*full : min((s+1)*full, len(sealed))]
		if _, err := c.Open(out[s*ss:s*ss], ct, uint64(s), s == segs-1, pos); err != nil {
			return false
		}
	}
	return true
}

// grow extends dst by n bytes, reallocating at most once.
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) < n {
		nd := make([]byte, len(dst), len(dst)+n)
		copy(nd, dst)
		dst = nd
	}
	return dst[:len(dst)+n]
}
