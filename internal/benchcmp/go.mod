module github.com/sealkit/sealkit/internal/benchcmp

go 1.26.0

require (
	filippo.io/age v1.3.2
	github.com/sealkit/sealkit v0.0.0-00010101000000-000000000000
	github.com/tink-crypto/tink-go/v2 v2.9.0
	golang.org/x/image v0.48.0
)

require (
	filippo.io/hpke v0.4.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)

replace github.com/sealkit/sealkit => ../..
