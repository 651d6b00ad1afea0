package keystore

import "encoding/binary"

// reader consumes a record field by field. After the first short read every
// further read returns zero values and ok stays false: parsers check ok once,
// so a truncated record can never index out of range.
type reader struct {
	b  []byte
	ok bool
}

func newReader(b []byte) *reader { return &reader{b: b, ok: true} }

func (r *reader) bytes(n int) []byte {
	if !r.ok || n < 0 || len(r.b) < n {
		r.ok = false
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() uint8 {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) u16() uint16 {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (r *reader) u32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

// done reports whether every read succeeded and nothing is left.
func (r *reader) done() bool { return r.ok && len(r.b) == 0 }

func appendString8(b []byte, s string) []byte {
	return append(append(b, byte(len(s))), s...)
}

func appendBytes16(b, v []byte) []byte {
	return append(binary.BigEndian.AppendUint16(b, uint16(len(v))), v...)
}
