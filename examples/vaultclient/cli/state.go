package cli

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// state is what the client keeps between commands: no key, no passphrase.
type state struct {
	URL          string    `json:"url"`
	User         string    `json:"user"`
	CAFile       string    `json:"ca_file,omitempty"`
	KDF          string    `json:"kdf,omitempty"`
	Token        string    `json:"token,omitempty"`
	TokenExpires time.Time `json:"token_expires,omitzero"`
	// ServerKey is the server's response key, pinned at first contact
	// (API.md, "Signed responses"): answers under another key are refused.
	ServerKey []byte `json:"server_key,omitempty"`
}

const stateFile = "state.json"

func loadState(dir string) (*state, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &state{}, nil
	}
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// save writes the state atomically, readable by its owner only (the token
// is a credential until it expires).
func (st *state) save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, stateFile))
}
