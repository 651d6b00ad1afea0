package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
)

var updateArmor = flag.Bool("update", false, "regenerate testdata/armor.json (frozen: only to add vectors)")

// armorVectors is testdata/armor.json (envelope/SPEC.md §10, ASCII armor):
// armored texts with the bytes they decode to ("ok") or the reason a reader
// refuses them ("invalid"). Texts are given as UTF-8 strings; CR, LF and
// spaces are significant.
type armorVectors struct {
	Comment string        `json:"comment"`
	Vectors []armorVector `json:"vectors"`
}

type armorVector struct {
	Name   string `json:"name"`
	Text   string `json:"text"`
	Expect string `json:"expect"`         // ok or invalid
	Data   string `json:"data,omitempty"` // hex of the decoded bytes, for ok
	// Canonical is set when Text is exactly what a writer produces for Data.
	Canonical bool `json:"canonical,omitempty"`
}

const armorVectorFile = "testdata/armor.json"

func makeArmorVectors(t *testing.T) []byte {
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + 3)
		}
		return b
	}
	f := armorVectors{Comment: "sealkit ASCII armor (envelope/SPEC.md, ASCII armor). Made by go test -run TestArmorVectors ./cmd/sealkit -args -update."}
	ok := func(name string, data []byte) {
		text := string(armorBytes(t, data))
		f.Vectors = append(f.Vectors, armorVector{Name: name, Text: text, Expect: "ok", Data: hex.EncodeToString(data), Canonical: true})
	}
	for _, n := range []int{1, 2, 3, 47, 48, 49, 96, 140} {
		ok("len-"+strconv.Itoa(n), pattern(n))
	}
	good := string(armorBytes(t, pattern(140))) // lines of 64, 64, 60 characters
	lines := strings.Split(good, "\n")
	join := func(ls ...string) string { return strings.Join(ls, "\n") }
	also := func(name, text string) {
		f.Vectors = append(f.Vectors, armorVector{Name: name, Text: text, Expect: "ok", Data: hex.EncodeToString(pattern(140))})
	}
	also("crlf", strings.ReplaceAll(good, "\n", "\r\n"))
	also("no-final-newline", strings.TrimSuffix(good, "\n"))
	also("trailing-whitespace", good+" \t\r\n \n")
	also("trailing-1024", good+strings.Repeat(" ", armorMaxTrailing))
	bad := func(name, text string) {
		f.Vectors = append(f.Vectors, armorVector{Name: name, Text: text, Expect: "invalid"})
	}
	bad("no-begin", strings.TrimPrefix(good, armorBegin+"\n"))
	bad("text-before-begin", "x\n"+good)
	bad("begin-lower-case", strings.Replace(good, "BEGIN SEALKIT", "BEGIN sealkit", 1))
	bad("begin-only", armorBegin)
	bad("no-body", armorBegin+"\n"+armorEnd+"\n")
	bad("no-end", join(lines[:4]...)+"\n")
	bad("no-end-no-newline", join(lines[:4]...))
	bad("short-line-first", join(lines[0], lines[1][:60], lines[2], lines[3], lines[4]))
	bad("long-line", join(lines[0], lines[1]+"AAAA", lines[3], lines[4]))
	bad("not-multiple-of-4", join(lines[0], lines[1], lines[2], lines[3][:59], lines[4]))
	bad("bad-character", join(lines[0], "*"+lines[1][1:], lines[2], lines[3], lines[4]))
	bad("space-in-line", join(lines[0], " "+lines[1][1:], lines[2], lines[3], lines[4]))
	bad("padding-in-middle", join(lines[0], lines[1][:60]+"AA==", lines[2], lines[3], lines[4]))
	bad("non-canonical-padding", join(lines[0], lines[1], lines[2], lines[3][:58]+"B=", lines[4]))
	bad("url-alphabet", join(lines[0], "-_"+lines[1][2:], lines[2], lines[3], lines[4]))
	bad("blank-line", join(lines[0], "", lines[1], lines[2], lines[3], lines[4]))
	bad("garbage-after-end", good+"x")
	bad("trailing-1025", good+strings.Repeat(" ", armorMaxTrailing+1))
	bad("lone-cr", strings.Replace(good, "\n", "\r", 1))
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func loadArmorVectors(t testing.TB) *armorVectors {
	raw, err := os.ReadFile(armorVectorFile)
	if err != nil {
		t.Fatal(err)
	}
	var f armorVectors
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func TestArmorVectors(t *testing.T) {
	want := makeArmorVectors(t)
	if *updateArmor {
		if err := os.WriteFile(armorVectorFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(armorVectorFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from what the generator makes: frozen vectors must not change", armorVectorFile)
	}
	for _, v := range loadArmorVectors(t).Vectors {
		t.Run(v.Name, func(t *testing.T) {
			data, err := io.ReadAll(newArmorReader(bufioReader([]byte(v.Text))))
			switch v.Expect {
			case "ok":
				if err != nil || hex.EncodeToString(data) != v.Data {
					t.Fatalf("read: %v", err)
				}
				if v.Canonical && string(armorBytes(t, data)) != v.Text {
					t.Fatal("writer output differs from the canonical text")
				}
			case "invalid":
				if err == nil {
					t.Fatalf("accepted, decoding %d bytes", len(data))
				}
			default:
				t.Fatalf("expect %q", v.Expect)
			}
		})
	}
}
