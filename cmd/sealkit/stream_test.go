package main

import (
	"bytes"
	"crypto/sha256"
	"io"
	"runtime"
	"testing"
)

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestStreamsInConstantMemory pipes 64 MiB through encrypt and decrypt, with
// and without armor, and checks that together they allocate far less than
// the data: neither holds the file.
func TestStreamsInConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 256 MiB")
	}
	key, rec := keygen(t)
	const size = 64 << 20
	for _, armor := range []bool{false, true} {
		encArgs := []string{"encrypt", "-r", rec}
		if armor {
			encArgs = append(encArgs, "-a")
		}
		pr, pw := io.Pipe()
		var encErr bytes.Buffer
		done := make(chan int)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		go func() {
			code := run(encArgs, io.LimitReader(zeros{}, size), pw, &encErr, func(string) string { return "" })
			pw.Close()
			done <- code
		}()
		h := sha256.New()
		var decErr bytes.Buffer
		code := run([]string{"decrypt", "-i", key}, pr, h, &decErr, func(string) string { return "" })
		pr.Close()
		if enc := <-done; enc != 0 || code != 0 {
			t.Fatalf("armor=%v: encrypt %d %s, decrypt %d %s", armor, enc, encErr.String(), code, decErr.String())
		}
		runtime.ReadMemStats(&after)
		want := sha256.Sum256(make([]byte, size))
		if !bytes.Equal(h.Sum(nil), want[:]) {
			t.Fatalf("armor=%v: plaintext differs", armor)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/8 {
			t.Fatalf("armor=%v: allocated %d bytes for %d bytes of data", armor, alloc, size)
		} else {
			t.Logf("armor=%v: allocated %d KiB for 64 MiB", armor, alloc>>10)
		}
	}
}
