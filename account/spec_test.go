package account_test

import (
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/sealkit/sealkit/account"
)

// SPEC.md's route table lists exactly the routes of the table the Handler
// and the Client are built from, each with its auth and body cap.
func TestSpecListsRoutes(t *testing.T) {
	spec, err := os.ReadFile("SPEC.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `(GET|POST) (/v1/[a-z/]+)` \\| ([a-z]+) \\| .*\\(([0-9]+) KiB\\)").FindAllStringSubmatch(string(spec), -1)
	documented := map[string]string{}
	for _, m := range rows {
		documented[m[1]+" "+m[2]] = m[3] + " " + m[4]
	}
	auth := map[account.Auth]string{account.Anonymous: "anonymous", account.User: "user", account.Signed: "signed"}
	routes := account.Routes()
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		want := fmt.Sprintf("%s %d", auth[rt.Auth], rt.MaxBody>>10)
		if got, ok := documented[key]; !ok || got != want {
			t.Errorf("SPEC.md lists %s as %q, want %q", key, got, want)
		}
	}
	if len(documented) != len(routes) {
		t.Errorf("SPEC.md lists %d routes, the table has %d", len(documented), len(routes))
	}
}
