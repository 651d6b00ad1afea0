package bench_test

import (
	"fmt"
	"strings"

	"github.com/sealkit/sealkit/bench/bench"
)

// ExampleParseThroughput reads the plot's input from a report.
func ExampleParseThroughput() {
	report := `ratio seal/64MiB/vs-age 1.81
throughput sealkit/seal 67108864 4526.0
throughput sealkit/seal 1024 117.0
throughput age/seal 67108864 2481.0
`
	series, err := bench.ParseThroughput(strings.NewReader(report))
	if err != nil {
		panic(err)
	}
	for _, s := range series {
		fmt.Println(s.Name, s.Points)
	}
	// Output:
	// sealkit/seal [{1024 117} {67108864 4526}]
	// age/seal [{67108864 2481}]
}
