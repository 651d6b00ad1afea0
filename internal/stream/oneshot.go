package stream

// SealAll appends the sealed payload of plaintext to dst, using up to
// workers goroutines.
func (c *Cipher) SealAll(dst, plaintext []byte, workers int) ([]byte, error) {
	ss, full := c.segSize, c.sealedSegmentSize()
	total := c.SealedSize(int64(len(plaintext)))
	segs := int((total - int64(len(plaintext))) / int64(c.Overhead()))
	if err := c.checkIndex(uint64(segs - 1)); err != nil {
		return nil, err
	}
	start := len(dst)
	dst = grow(dst, int(total))
	out := dst[start:]
	pos := make([]Position, max(Workers(workers), 1))
	seal := func(w, lo, hi int) {
		for s := lo; s < hi; s++ {
			pt := plaintext[s*ss : min((s+1)*ss, len(plaintext))]
			c.Seal(out[s*full:s*full], pt, uint64(s), s == segs-1, &pos[w])
		}
	}
	parallel(segs, workers, seal)
	return dst, nil
}

// OpenAll appends the plaintext of the sealed payload to dst, using up to
// workers goroutines. On failure it returns nil and ErrCorrupt: no part of
// the plaintext is released.
func (c *Cipher) OpenAll(dst, sealed []byte, workers int) ([]byte, error) {
	size, segs64, err := c.PlainSize(int64(len(sealed)))
	if err != nil {
		return nil, err
	}
	if c.checkIndex(uint64(segs64-1)) != nil {
		return nil, ErrCorrupt // more segments than the suite allows
	}
	segs := int(segs64)
	ss, full := c.segSize, c.sealedSegmentSize()
	start := len(dst)
	dst = grow(dst, int(size))
	out := dst[start:]
	failed := make([]bool, segs)
	pos := make([]Position, max(Workers(workers), 1))
	open := func(w, lo, hi int) {
		for s := lo; s < hi; s++ {
			ct := sealed[s*full : min((s+1)*full, len(sealed))]
			_, err := c.Open(out[s*ss:s*ss], ct, uint64(s), s == segs-1, &pos[w])
			failed[s] = err != nil
		}
	}
	parallel(segs, workers, open)
	for _, f := range failed {
		if f {
			clear(out)
			return nil, ErrCorrupt
		}
	}
	return dst, nil
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
