package main

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReaderSize(bytes.NewReader(b), 4096) }

func armorBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := newArmorWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// Odd-sized writes cross line boundaries.
	for len(b) > 0 {
		n := min(len(b), 7)
		if _, err := w.Write(b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestArmorRoundTrip covers lengths around line boundaries (47, 48, 49, …).
func TestArmorRoundTrip(t *testing.T) {
	for n := 1; n <= 3*armorBytesPerLine+2; n++ {
		data := bytes.Repeat([]byte{0xfb, 0xef, 0x01}, n)[:n]
		text := armorBytes(t, data)
		lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
		if lines[0] != armorBegin || lines[len(lines)-1] != armorEnd {
			t.Fatalf("n=%d: framing", n)
		}
		body := lines[1 : len(lines)-1]
		if want := (n + armorBytesPerLine - 1) / armorBytesPerLine; len(body) != want {
			t.Fatalf("n=%d: %d lines, want %d", n, len(body), want)
		}
		for i, l := range body {
			if i < len(body)-1 && len(l) != armorColumns {
				t.Fatalf("n=%d: line %d has %d columns", n, i, len(l))
			}
		}
		got, err := io.ReadAll(iotest.OneByteReader(newArmorReader(bufioReader(text))))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("n=%d: %v", n, err)
		}
		crlf := bytes.ReplaceAll(text, []byte("\n"), []byte("\r\n"))
		if got, err := io.ReadAll(newArmorReader(bufioReader(crlf))); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("n=%d CRLF: %v", n, err)
		}
	}
}

func TestArmorRejects(t *testing.T) {
	good := string(armorBytes(t, bytes.Repeat([]byte("sealkit"), 20))) // 140 bytes: lines of 64, 64, 60
	lines := strings.Split(good, "\n")
	join := func(ls ...string) string { return strings.Join(ls, "\n") }
	for _, tc := range []struct{ name, text, msg string }{
		{"no-begin", strings.TrimPrefix(good, armorBegin+"\n"), "line 1: not"},
		{"begin-lower", strings.Replace(good, "BEGIN SEALKIT", "BEGIN sealkit", 1), "line 1: not"},
		{"begin-only", armorBegin, "line 1: not"},
		{"no-body", armorBegin + "\n" + armorEnd + "\n", "no data"},
		{"no-end", join(lines[:4]...) + "\n", "missing"},
		{"no-end-no-newline", join(lines[:4]...), "missing"},
		{"short-line-first", join(lines[0], lines[1][:60], lines[2], lines[3], lines[4]), "line 3: data after a short"},
		{"long-line", join(lines[0], lines[1]+"AAAA", lines[3], lines[4]), "line 2:"},
		{"not-multiple-of-4", join(lines[0], lines[1], lines[2], lines[3][:59], lines[4]), "line 4:"},
		{"bad-character", join(lines[0], strings.Replace(lines[1], lines[1][:1], "*", 1), lines[2], lines[3], lines[4]), "outside base64"},
		{"space-in-line", join(lines[0], " "+lines[1][1:], lines[2], lines[3], lines[4]), "outside base64"},
		{"padding-in-middle", join(lines[0], lines[1][:60]+"AA==", lines[2], lines[3], lines[4]), "line 3: data after"},
		{"non-canonical-padding", join(lines[0], lines[1], lines[2], lines[3][:58]+"B=", lines[4]), "line 4:"},
		{"trailing-garbage", good + "x", "data after"},
		{"too-much-trailing-space", good + strings.Repeat(" ", armorMaxTrailing+1), "data after"},
		{"blank-line", join(lines[0], "", lines[1], lines[2], lines[3], lines[4]), "line 2:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := io.ReadAll(newArmorReader(bufioReader([]byte(tc.text))))
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %q", err, tc.msg)
			}
		})
	}
	if _, err := io.ReadAll(newArmorReader(bufioReader([]byte(good + strings.Repeat(" ", armorMaxTrailing))))); err != nil {
		t.Fatal(err)
	}
}

// FuzzArmorReader: any input either fails or decodes to bytes whose armor
// decodes to them again, never more bytes than 3/4 of the input.
func FuzzArmorReader(f *testing.F) {
	for _, v := range loadArmorVectors(f).Vectors {
		f.Add([]byte(v.Text))
	}
	for _, n := range []int{1, 47, 48, 49, 100} {
		a := armorBytes(f, bytes.Repeat([]byte{0x5a}, n))
		f.Add(a)
		f.Add(bytes.ReplaceAll(a, []byte("\n"), []byte("\r\n")))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := io.ReadAll(newArmorReader(bufioReader(in)))
		if err != nil {
			return
		}
		if len(got) == 0 || len(got) > len(in)*3/4 {
			t.Fatalf("%d bytes from %d", len(got), len(in))
		}
		again, err := io.ReadAll(newArmorReader(bufioReader(armorBytes(t, got))))
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("re-armoring: %v", err)
		}
	})
}
