package load_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/sealkit/sealkit/examples/loadtest/load"
	"github.com/sealkit/sealkit/keystore"
)

// DurationEnv lengthens the test run (a Go duration, e.g. "30s").
const DurationEnv = "SEALKIT_LOADTEST_DURATION"

// TestLoad runs 8 clients for 3 s (or $SEALKIT_LOADTEST_DURATION) and
// requires zero failed requests and every download's hash equal to its
// upload's.
func TestLoad(t *testing.T) {
	d := 3 * time.Second
	if v := os.Getenv(DurationEnv); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("%s: %v", DurationEnv, err)
		}
	}
	const clients = 8
	rep, err := load.Run(context.Background(), load.Options{
		Clients: clients, Duration: d, FileSize: 64 << 10,
		Policy: &keystore.Policy{Params: keystore.KDFParams{KDF: keystore.PBKDF2SHA256, Iterations: 1000}, InsecureAllowWeak: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.Failed != 0 {
		t.Errorf("%d failed requests; first: %s", rep.Failed, rep.FirstError)
	}
	if rep.OpErrors != 0 {
		t.Errorf("%d operations failed; first: %s", rep.OpErrors, rep.FirstError)
	}
	if rep.Mismatches != 0 {
		t.Errorf("%d downloads differ from their uploads", rep.Mismatches)
	}
	// Each client downloads what the previous one shared; when time runs
	// out, each may have one shared file not yet downloaded.
	if rep.Uploads == 0 || rep.Shares == 0 || rep.Downloads+clients < rep.Uploads {
		t.Errorf("too little happened: %v", rep)
	}
}

// TestLoopbackOnly: the load test refuses a target off this machine.
func TestLoopbackOnly(t *testing.T) {
	for _, u := range []string{"http://192.0.2.1:8443", "https://8.8.8.8"} {
		if _, err := load.Run(context.Background(), load.Options{URL: u, Duration: time.Millisecond}); err == nil {
			t.Errorf("%s: accepted", u)
		}
	}
}
