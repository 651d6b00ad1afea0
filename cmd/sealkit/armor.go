package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// ASCII armor (envelope/SPEC.md §10): the envelope in standard padded
// base64, 64 columns a line, between BEGIN and END lines, as age's armor
// but with its own labels.
const (
	armorBegin        = "-----BEGIN SEALKIT ENCRYPTED FILE-----"
	armorEnd          = "-----END SEALKIT ENCRYPTED FILE-----"
	armorColumns      = 64
	armorBytesPerLine = armorColumns / 4 * 3
	// armorMaxTrailing is how much whitespace may follow the END line.
	armorMaxTrailing = 1024
)

var b64 = base64.StdEncoding.Strict()

// armorWriter armors what is written to it; Close writes the last line
// and the END line but does not close dst.
type armorWriter struct {
	dst  io.Writer
	buf  [armorBytesPerLine]byte
	n    int
	line [armorColumns + 1]byte
}

func newArmorWriter(dst io.Writer) (*armorWriter, error) {
	if _, err := io.WriteString(dst, armorBegin+"\n"); err != nil {
		return nil, err
	}
	return &armorWriter{dst: dst}, nil
}

func (w *armorWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		c := copy(w.buf[w.n:], p)
		w.n += c
		p = p[c:]
		if w.n == len(w.buf) {
			if err := w.flush(); err != nil {
				return written, err
			}
		}
		written += c
	}
	return written, nil
}

func (w *armorWriter) flush() error {
	n := b64.EncodedLen(w.n)
	b64.Encode(w.line[:], w.buf[:w.n])
	w.line[n] = '\n'
	w.n = 0
	_, err := w.dst.Write(w.line[:n+1])
	return err
}

func (w *armorWriter) Close() error {
	if w.n > 0 {
		if err := w.flush(); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w.dst, armorEnd+"\n")
	return err
}

// armorReader reads the envelope out of armored text, one line at a time.
type armorReader struct {
	r    *bufio.Reader
	line int    // lines read so far
	data []byte // decoded and not yet returned
	dec  [armorBytesPerLine]byte
	last bool // a short or padded line was read: END must follow
	body bool // at least one body line was read
	done bool
	err  error
}

// newArmorReader returns a reader of the armored envelope in r, which must
// start with the BEGIN line. r's buffer must hold more than a line.
func newArmorReader(r *bufio.Reader) *armorReader {
	return &armorReader{r: r}
}

func (a *armorReader) Read(p []byte) (int, error) {
	for len(a.data) == 0 && !a.done && a.err == nil {
		a.err = a.next()
	}
	if len(a.data) > 0 {
		n := copy(p, a.data)
		a.data = a.data[n:]
		return n, nil
	}
	if a.err != nil {
		return 0, a.err
	}
	return 0, io.EOF
}

func (a *armorReader) errorf(format string, args ...any) error {
	return fmt.Errorf("armor line %d: %s", a.line, fmt.Sprintf(format, args...))
}

// readLine returns the next line without its LF or CR LF, and whether the
// input ended without a line ending.
func (a *armorReader) readLine() ([]byte, bool, error) {
	a.line++
	line, err := a.r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, false, a.errorf("longer than %d columns", armorColumns)
	case err == io.EOF:
		if len(line) == 0 {
			return nil, false, a.errorf("missing %q", armorEnd)
		}
		return line, true, nil
	case err != nil:
		return nil, false, err
	}
	line = line[:len(line)-1]
	return bytes.TrimSuffix(line, []byte("\r")), false, nil
}

func (a *armorReader) next() error {
	line, eof, err := a.readLine()
	if err != nil {
		return err
	}
	if a.line == 1 {
		if string(line) != armorBegin || eof {
			return a.errorf("not %q", armorBegin)
		}
		return nil
	}
	if string(line) == armorEnd {
		if !a.body {
			return a.errorf("no data before %q", armorEnd)
		}
		a.done = true
		return a.trailer()
	}
	switch {
	case eof:
		return a.errorf("missing %q", armorEnd)
	case a.last:
		return a.errorf("data after a short or padded line")
	case len(line) == 0 || len(line) > armorColumns || len(line)%4 != 0:
		return a.errorf("%d columns, not a multiple of 4 up to %d", len(line), armorColumns)
	}
	for _, c := range line {
		if !isBase64(c) {
			return a.errorf("character outside base64")
		}
	}
	n, err := b64.Decode(a.dec[:], line)
	if err != nil {
		return a.errorf("invalid base64")
	}
	a.body = true
	a.last = len(line) < armorColumns || line[len(line)-1] == '='
	a.data = a.dec[:n]
	return nil
}

// trailer accepts up to armorMaxTrailing bytes of whitespace after END.
func (a *armorReader) trailer() error {
	rest, err := io.ReadAll(io.LimitReader(a.r, armorMaxTrailing+1))
	if err != nil {
		return err
	}
	if len(rest) > armorMaxTrailing || len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return a.errorf("data after %q", armorEnd)
	}
	return nil
}

func isBase64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '='
}
