package bench

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"io"

	"filippo.io/age"
	"github.com/sealkit/sealkit/envelope"
	"github.com/tink-crypto/tink-go/v2/hybrid"
	"github.com/tink-crypto/tink-go/v2/keyset"
)

// Performance targets for a 1 KiB object and one X25519 recipient.
const (
	targetSmallVsHPKE = 0.83 // at most 1.2× the cost of the bare primitives
	targetSmallVsTink = 1.5
	targetSmallVsAge  = 1.5
)

// smallSize is the object of the small-object row.
const smallSize = 1 << 10

// tinkContext is the context info given to Tink's hybrid encryption.
var tinkContext = []byte("sealkit-bench")

func buildSmall(Config) ([]Pending, error) {
	return []Pending{lazy("small/1KiB", makeSmall)}, nil
}

// makeSmall compares sealing then opening a 1 KiB object for one X25519
// recipient. The bare baseline does what any envelope must at the least:
// a fresh key, HPKE base-mode seal of it (X25519, HKDF-SHA256,
// AES-256-GCM), AES-256-GCM over the object with that key, and the reverse.
func makeSmall() (*Comparison, error) {
	pt := randomBytes(smallSize)
	id, err := envelope.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	rcpt := id.Recipient()

	ek, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	hpkePriv, err := hpke.NewDHKEMPrivateKey(ek)
	if err != nil {
		return nil, err
	}
	hpkePub := hpkePriv.PublicKey()
	bare := func() error {
		key := make([]byte, 32)
		rand.Read(key)
		wrapped, err := hpke.Seal(hpkePub, hpke.HKDFSHA256(), hpke.AES256GCM(), nil, key)
		if err != nil {
			return err
		}
		nonce := make([]byte, 12)
		rand.Read(nonce)
		ct, err := gcmSeal(key, nonce, pt)
		if err != nil {
			return err
		}
		key2, err := hpke.Open(hpkePriv, hpke.HKDFSHA256(), hpke.AES256GCM(), nil, wrapped)
		if err != nil {
			return err
		}
		return gcmOpen(key2, nonce, ct)
	}

	priv, err := keyset.NewHandle(hybrid.DHKEM_X25519_HKDF_SHA256_HKDF_SHA256_AES_256_GCM_Raw_Key_Template())
	if err != nil {
		return nil, err
	}
	pub, err := priv.Public()
	if err != nil {
		return nil, err
	}
	tenc, err := hybrid.NewHybridEncrypt(pub)
	if err != nil {
		return nil, err
	}
	tdec, err := hybrid.NewHybridDecrypt(priv)
	if err != nil {
		return nil, err
	}

	ageID, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	ageRcpt := ageID.Recipient()
	var buf bytes.Buffer
	return &Comparison{
		Name:  "small/1KiB",
		Title: "1 KiB object seal+open, one X25519 recipient",
		Ours: Contender{Name: "sealkit", Op: func() error {
			env, err := envelope.Seal(pt, nil, nil, rcpt)
			if err != nil {
				return err
			}
			got, err := envelope.Open(env, nil, nil, id)
			if err == nil && !bytes.Equal(got, pt) {
				err = errMismatch
			}
			return err
		}},
		Rivals: []Rival{
			{Contender: Contender{Name: "crypto/hpke seal+open of a key, AES-256-GCM", Op: bare},
				Ratio: "small/1KiB/vs-hpke-gcm", Target: targetSmallVsHPKE, Bare: true},
			{Contender: Contender{Name: "Tink HPKE hybrid encrypt+decrypt", Op: func() error {
				ct, err := tenc.Encrypt(pt, tinkContext)
				if err != nil {
					return err
				}
				got, err := tdec.Decrypt(ct, tinkContext)
				if err == nil && !bytes.Equal(got, pt) {
					err = errMismatch
				}
				return err
			}}, Ratio: "small/1KiB/vs-tink-hpke", Target: targetSmallVsTink},
			{Contender: Contender{Name: "age, X25519", Op: func() error {
				buf.Reset()
				w, err := age.Encrypt(&buf, ageRcpt)
				if err != nil {
					return err
				}
				if err := writeAll(w, pt); err != nil {
					return err
				}
				r, err := age.Decrypt(&buf, ageID)
				if err != nil {
					return err
				}
				got, err := io.ReadAll(r)
				if err == nil && !bytes.Equal(got, pt) {
					err = errMismatch
				}
				return err
			}}, Ratio: "small/1KiB/vs-age", Target: targetSmallVsAge},
		},
	}, nil
}

func gcmSeal(key, nonce, pt []byte) ([]byte, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return g.Seal(nil, nonce, pt, nil), nil
}

func gcmOpen(key, nonce, ct []byte) error {
	b, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return err
	}
	_, err = g.Open(nil, nonce, ct, nil)
	return err
}
