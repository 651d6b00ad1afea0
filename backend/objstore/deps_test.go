package objstore_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyObjstoreImportsGocloud checks that gocloud.dev and the AWS SDK
// reach no other sealkit package: the SDK's core and the other backends do
// not pay for object storage.
func TestOnlyObjstoreImportsGocloud(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`,
		"github.com/sealkit/sealkit/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), " ")
		if !strings.HasPrefix(pkg, "github.com/sealkit/sealkit/") || strings.HasPrefix(pkg, "github.com/sealkit/sealkit/backend/objstore") {
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if strings.HasPrefix(imp, "gocloud.dev/") || strings.HasPrefix(imp, "github.com/aws/") {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}
