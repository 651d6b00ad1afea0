// Package aeskw implements AES key wrap, [RFC 3394] (NIST SP 800-38F "KW"),
// with the default initial value A6A6A6A6A6A6A6A6. Go's standard library
// has no key wrap; WebCrypto has it as "AES-KW", which is why sealkit's
// formats use it to wrap keys under passphrase-derived keys and KEKs.
//
// [RFC 3394]: https://www.rfc-editor.org/rfc/rfc3394.html
package aeskw

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"slices"
)

// MaxInput caps the data Wrap accepts (and so what Unwrap will process):
// key wrap is for keys, and the cap bounds the work hostile input can cause.
const MaxInput = 1 << 20

// ErrUnwrap is returned for every ciphertext that does not unwrap: wrong
// length or failed integrity check. It says nothing more, on purpose.
var ErrUnwrap = errors.New("aeskw: unwrap failed")

var defaultIV = [8]byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6}

// Wrap wraps plaintext, a multiple of 8 bytes from 16 to MaxInput bytes,
// under a 16-, 24- or 32-byte kek. The output is 8 bytes longer.
func Wrap(kek, plaintext []byte) ([]byte, error) {
	if len(plaintext) < 16 || len(plaintext)%8 != 0 || len(plaintext) > MaxInput {
		return nil, errors.New("aeskw: plaintext must be a multiple of 8 bytes, at least 16")
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return WrapBlock(block, plaintext)
}

// WrapBlock is Wrap under an AES block already expanded from the kek, for
// callers that wrap many keys under one kek and would otherwise expand it
// for each.
func WrapBlock(block cipher.Block, plaintext []byte) ([]byte, error) {
	return AppendWrapBlock(nil, block, plaintext)
}

// AppendWrapBlock is WrapBlock that appends the wrapped key to dst and
// returns the extended slice. It works in the 16 bytes of dst's capacity
// past the wrapped key, which it leaves zeroed: with len(plaintext)+24
// bytes to spare in dst it allocates nothing (a block passed to
// cipher.Block escapes to the heap). dst and plaintext must not overlap.
func AppendWrapBlock(dst []byte, block cipher.Block, plaintext []byte) ([]byte, error) {
	if len(plaintext) < 16 || len(plaintext)%8 != 0 || len(plaintext) > MaxInput || block.BlockSize() != aes.BlockSize {
		return nil, errors.New("aeskw: plaintext must be a multiple of 8 bytes, at least 16")
	}
	n := len(plaintext) / 8
	start, end := len(dst), len(dst)+8+len(plaintext)
	dst = slices.Grow(dst, 8+len(plaintext)+aes.BlockSize)
	out := dst[start:end]
	b := (*[aes.BlockSize]byte)(dst[end : end+aes.BlockSize])
	copy(out[8:], plaintext)
	a := binary.BigEndian.Uint64(defaultIV[:]) // A, kept in a register
	for j := range 6 {
		for i := 1; i <= n; i++ {
			r := (*[8]byte)(out[8*i : 8*i+8])
			binary.BigEndian.PutUint64(b[:8], a)
			copy(b[8:], r[:])
			block.Encrypt(b[:], b[:])
			a = binary.BigEndian.Uint64(b[:8]) ^ uint64(n*j+i)
			copy(r[:], b[8:])
		}
	}
	binary.BigEndian.PutUint64(out[:8], a)
	clear(b[:])
	return dst[:end], nil
}

// Unwrap reverses Wrap. Any failure returns ErrUnwrap and nothing else;
// the integrity check is constant-time and no unwrapped byte is returned
// on failure.
func Unwrap(kek, ciphertext []byte) ([]byte, error) {
	if len(ciphertext) < 24 || len(ciphertext)%8 != 0 || len(ciphertext) > MaxInput+8 {
		return nil, ErrUnwrap
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return UnwrapBlock(block, ciphertext)
}

// UnwrapBlock is Unwrap under an AES block already expanded from the kek.
func UnwrapBlock(block cipher.Block, ciphertext []byte) ([]byte, error) {
	if len(ciphertext) < 24 || len(ciphertext)%8 != 0 || len(ciphertext) > MaxInput+8 || block.BlockSize() != aes.BlockSize {
		return nil, ErrUnwrap
	}
	n := len(ciphertext)/8 - 1
	out := make([]byte, len(ciphertext)-8)
	copy(out, ciphertext[8:])
	var b [16]byte
	copy(b[:8], ciphertext[:8])
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			r := out[8*(i-1) : 8*i]
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(b[:8])^t)
			copy(b[8:], r)
			block.Decrypt(b[:], b[:])
			copy(r, b[8:])
		}
	}
	ok := subtle.ConstantTimeCompare(b[:8], defaultIV[:])
	clear(b[:])
	if ok != 1 {
		clear(out)
		return nil, ErrUnwrap
	}
	return out, nil
}
