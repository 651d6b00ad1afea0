package bench

import (
	"fmt"
	"io"

	"filippo.io/age"
	"github.com/sealkit/sealkit/envelope"
)

// buildRecipients reports how the cost of sealing a 1 KiB object grows with
// the number of X25519 recipients, beside age with as many.
func buildRecipients(cfg Config) ([]Pending, error) {
	var out []Pending
	for _, n := range cfg.RecipientCounts() {
		name := fmt.Sprintf("recipients/%d", n)
		out = append(out, lazy(name, func() (*Comparison, error) { return makeRecipients(name, n) }))
	}
	return out, nil
}

func makeRecipients(name string, n int) (*Comparison, error) {
	pt := randomBytes(smallSize)
	rs := make([]envelope.Recipient, n)
	ars := make([]age.Recipient, n)
	for i := range n {
		id, err := envelope.GenerateX25519Identity()
		if err != nil {
			return nil, err
		}
		rs[i] = id.Recipient()
		aid, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, err
		}
		ars[i] = aid.Recipient()
	}
	return &Comparison{
		Name:  name,
		Title: fmt.Sprintf("seal 1 KiB for %d X25519 recipients", n),
		Ours: Contender{Name: "sealkit", Op: func() error {
			_, err := envelope.Seal(pt, nil, nil, rs...)
			return err
		}},
		Rivals: []Rival{{Contender: Contender{Name: fmt.Sprintf("age, %d X25519 recipients", n), Op: func() error {
			w, err := age.Encrypt(io.Discard, ars...)
			if err != nil {
				return err
			}
			return writeAll(w, pt)
		}}, Ratio: name + "/vs-age"}},
	}, nil
}
