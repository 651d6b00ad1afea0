package webclient_test

import (
	"os/exec"
	"testing"
)

// TestNodeVerifiesSignedResponses runs response.test.mjs: the web client's
// verifyResponse (httpsig.js) agrees with identity.VerifyResponse on the
// signed answers of testdata/responses.json and refuses their tampered
// copies. It needs node only (httpsig.js imports no npm package).
func TestNodeVerifiesSignedResponses(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: install Node.js")
	}
	out, err := exec.Command(node, "--test", "response.test.mjs").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test response.test.mjs: %v\n%s", err, out)
	}
}

// TestNodeVaultRefusesUnverifiedAnswers runs vault.test.mjs: vault.js
// checks every answer against the server's response key and refuses
// unsigned, altered and foreign ones. It needs the npm packages (vault.js
// imports sealkit.js).
func TestNodeVaultRefusesUnverifiedAnswers(t *testing.T) {
	node := needNode(t)
	out, err := exec.Command(node, "--test", "vault.test.mjs").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test vault.test.mjs: %v\n%s", err, out)
	}
}
