package stream

import (
	"errors"
	"io"
)

// writeFrom is WriteTo for one goroutine and a source that is an
// io.WriterTo (a bytes.Reader, a bytes.Buffer, a bufio.Reader…): the source
// hands its own slices to a segmentWriter, which opens whole segments
// straight out of them into the Reader's buffer, instead of first copying
// them in as Read must. Only a partial segment, or one not yet known to be
// followed by more, is copied and held back.
func (r *Reader) writeFrom(src io.WriterTo, w io.Writer) (int64, error) {
	total, done, err := r.serveHead(w)
	if done || err != nil {
		return total, err
	}
	s := &segmentWriter{r: r, dst: w, pend: r.batches[0].buf[:0]}
	if r.hasCarry {
		s.pend = append(s.pend, r.carry)
		r.hasCarry = false
	}
	_, err = src.WriteTo(s)
	switch {
	case s.err != nil:
		err = s.err
	case err == nil:
		err = s.finish()
	}
	if s.err == nil {
		s.err = errWriteAfterEnd // w is not written to after WriteTo returns
	}
	total += s.n
	switch {
	case err == nil:
		r.fail(io.EOF)
	case s.dstFailed:
		// The source is consumed past what w took: no Read can resume.
		r.fail(errAfterWriteTo)
	default:
		r.fail(err)
	}
	return total, err
}

var (
	// errAfterWriteTo is what reading returns once WriteTo's destination
	// failed.
	errAfterWriteTo = errors.New("stream: read after WriteTo's destination failed")
	// errWriteAfterEnd is what a source that kept the segmentWriter gets
	// for writing to it after its WriteTo returned.
	errWriteAfterEnd = errors.New("stream: write after the source's WriteTo returned")
)

// serveHead writes out what an earlier Read opened and left unserved, and
// releases it. It reports done when nothing is left to read: the payload
// was served to its end (err nil) or failed (err says why).
func (r *Reader) serveHead(w io.Writer) (int64, bool, error) {
	var total int64
	if r.ahead > 0 {
		b := r.batches[r.head]
		for r.cur < b.segs {
			seg := r.plain(b, r.cur)[r.off:]
			n, err := w.Write(seg)
			total += int64(n)
			r.advance(n)
			if err == nil && n < len(seg) {
				err = io.ErrShortWrite
			}
			if err != nil {
				return total, true, err
			}
		}
		r.ahead--
		r.cur, r.off, r.served = 0, 0, false
		if r.eof && r.err == nil {
			r.fail(io.EOF)
		}
	}
	if r.err == io.EOF {
		return total, true, nil
	}
	if r.err != nil {
		return total, true, r.err
	}
	if r.eof { // readDirect served the final segment
		r.fail(io.EOF)
		return total, true, nil
	}
	return total, false, nil
}

// segmentWriter is the io.Writer that writeFrom hands to the source. As
// io.Writer requires, it neither changes nor keeps the slices it is given.
type segmentWriter struct {
	r    *Reader
	dst  io.Writer
	pend []byte // sealed bytes held back, in the Reader's buffer
	n    int64  // plaintext bytes written to dst
	err  error  // why a Write failed; every later one fails with it

	dstFailed bool // err is dst's
}

// Write opens every whole segment of pend and p that more bytes follow,
// and holds back the rest.
func (s *segmentWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := len(p)
	full := s.r.c.sealedSegmentSize()
	if len(s.pend) > 0 {
		k := full - len(s.pend)
		if len(p) <= k { // nothing shows yet that pend is not the final segment
			s.pend = append(s.pend, p...)
			return n, nil
		}
		s.pend = append(s.pend, p[:k]...)
		p = p[k:]
		if err := s.open(s.pend, false); err != nil {
			return 0, err
		}
		s.pend = s.pend[:0]
	}
	for len(p) > full {
		if err := s.open(p[:full], false); err != nil {
			return n - len(p), err
		}
		p = p[full:]
	}
	s.pend = append(s.pend, p...)
	return n, nil
}

// finish opens the held-back bytes as the final segment, once the source
// has ended. Open refuses fewer bytes than a segment's overhead (nothing
// held back included); an empty final segment after data is refused here,
// as finalBatch does.
func (s *segmentWriter) finish() error {
	if len(s.pend) == s.r.c.Overhead() && s.r.next > 0 {
		return ErrCorrupt
	}
	return s.open(s.pend, true)
}

// open authenticates sealed as the next segment, into the Reader's buffer
// (in place if sealed is pend), and only then writes its plaintext out.
func (s *segmentWriter) open(sealed []byte, last bool) error {
	r := s.r
	if r.c.checkIndex(r.next) != nil {
		s.err = ErrCorrupt // more segments than the suite allows
		return s.err
	}
	out, err := r.c.Open(r.batches[0].buf[:0], sealed, r.next, last, &r.pos[0])
	if err != nil {
		s.err = ErrCorrupt
		return s.err
	}
	r.next++
	if len(out) == 0 {
		return nil
	}
	m, err := s.dst.Write(out)
	s.n += int64(m)
	if err == nil && m < len(out) {
		err = io.ErrShortWrite
	}
	if err != nil {
		s.err, s.dstFailed = err, true
	}
	return err
}
