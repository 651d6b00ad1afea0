// Command plot draws throughput against payload size as a PNG from the
// "throughput" lines of a benchcmp report.
//
//	go run ./plot -in results/full.txt -out results/throughput.png
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/sealkit/sealkit/bench/bench"
)

func main() {
	in := flag.String("in", "", "benchcmp report to read (default: standard input)")
	out := flag.String("out", "throughput.png", "PNG file to write")
	title := flag.String("title", "sealkit vs peers: throughput by payload size", "plot title")
	flag.Parse()

	src := os.Stdin
	if *in != "" {
		f, err := os.Open(*in)
		if err != nil {
			fatal(err)
		}
		defer f.Close()
		src = f
	}
	series, err := bench.ParseThroughput(src)
	if err != nil {
		fatal(err)
	}
	var b bytes.Buffer
	if err := bench.DrawPNG(&b, *title, series); err != nil {
		fatal(err)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "plot:", err)
	os.Exit(1)
}
