package envelope_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/sealkit/sealkit/envelope"
)

// Keys have a one-line text form, like age's: recipients start with
// "sealkit", identities with "SEALKIT-", and a file holds one per line.
func ExampleParseRecipients() {
	id, _ := envelope.ParseIdentity("SEALKIT-SECRET-KEY-1YG0GHGD20N9C8JZEF6V6H9869XFWF3PZ22S93G9Z6FLLLVN9R24Q0EMLJK")
	recipients, err := envelope.ParseRecipients(strings.NewReader(`
# alice
sealkit1hglu7frgpxch2xh9y8sglxhjmm2x8pe4w08k0a45zem4qcjucckswgr0m8
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	env, _ := envelope.Seal([]byte("hello, alice"), nil, nil, recipients...)
	pt, err := envelope.Open(env, nil, nil, id)
	fmt.Println(string(pt), err)

	_, err = envelope.ParseRecipients(strings.NewReader("# from age\nage1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\n"))
	fmt.Println(err)

	// Output:
	// hello, alice <nil>
	// envelope: recipients line 2: unknown key type: an age recipient; sealkit recipients begin with "sealkit"
}

func ExampleX25519Identity_SecretKeyString() {
	id, _ := envelope.GenerateX25519Identity()
	var file bytes.Buffer
	fmt.Fprintf(&file, "# public key: %s\n%s\n", id.Recipient(), id.SecretKeyString())

	ids, err := envelope.ParseIdentities(&file)
	fmt.Println(len(ids), err)
	// Output: 1 <nil>
}
