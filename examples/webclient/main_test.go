package webclient_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sealkit/sealkit/internal/testenv"
)

// TestMain says, in a line per missing service that shows without -v,
// which of this package's tests will skip: the Node checks need node and
// the pinned npm packages, the browser tests need Chromium as well. The
// tests themselves decide with the same checks (needNode, needNodeModules,
// chromiumPath).
func TestMain(m *testing.M) {
	const pkg = "examples/webclient"
	if _, err := exec.LookPath("node"); err != nil {
		testenv.Missing(pkg, "Node.js", "install Node.js >= 20, then run `npm ci` in examples/webclient")
	} else if _, err := os.Stat(filepath.Join("node_modules", "@hpke", "core", "package.json")); err != nil {
		testenv.Missing(pkg, "the pinned npm packages", "run `npm ci` in examples/webclient")
	}
	if !haveChromium() {
		testenv.Missing(pkg, "Chromium", "install it (`apt-get install -y chromium`) as /usr/bin/chromium or on PATH")
	}
	os.Exit(m.Run())
}

// haveChromium is chromiumPath's test, without the skip.
func haveChromium() bool {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return true
	}
	_, err := exec.LookPath("chromium")
	return err == nil
}
