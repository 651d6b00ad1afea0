package envelope_test

import (
	"crypto/fips140"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
)

func pemBlock(der []byte, typ string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func fipsEnforced() bool { return fips140.Enforced() }

func parsePKCS8RSA(der []byte) (*rsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	return k.(*rsa.PrivateKey), nil
}
