package server

import (
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"strings"
)

// baseCSP is sent with every response: scripts, styles, images and fetches
// from this origin only.
const baseCSP = "default-src 'self'; object-src 'none'; frame-ancestors 'none'"

// importMapOpen is the one inline script the CSP lets through: an import
// map, which is data (module specifier → URL), not code. Browsers accept
// import maps only inline, so the web client's index.html carries one.
const (
	importMapOpen  = `<script type="importmap">`
	importMapClose = `</script>`
	maxIndexHTML   = 1 << 20
)

// contentSecurityPolicy returns baseCSP, plus a script-src naming by
// SHA-256 each import map in the static directory's index.html (if any):
// other inline scripts stay refused. The page is read once, at start.
func contentSecurityPolicy(root fs.FS) string {
	b, err := fs.ReadFile(root, "index.html")
	if err != nil || len(b) > maxIndexHTML {
		return baseCSP
	}
	var hashes []string
	for rest := string(b); ; {
		i := strings.Index(rest, importMapOpen)
		if i < 0 {
			break
		}
		rest = rest[i+len(importMapOpen):]
		j := strings.Index(rest, importMapClose)
		if j < 0 {
			break
		}
		sum := sha256.Sum256([]byte(rest[:j]))
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		rest = rest[j+len(importMapClose):]
	}
	if len(hashes) == 0 {
		return baseCSP
	}
	return baseCSP + "; script-src 'self' " + strings.Join(hashes, " ")
}
