package app

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// devSecrets are the signing secrets a development start generates once and keeps in the data
// folder, so tokens printed by one run stay valid in the next.
type devSecrets struct {
	HS256 string `json:"hs256"`
	Lead  string `json:"lead"`
	// Server is the server key (TENANTD_SECRET_KEY) of development starts.
	Server string `json:"server"`
}

// loadDevSecrets reads <dir>/secrets.json, creating it (mode 0600) with fresh random secrets
// when it does not exist.
func loadDevSecrets(dir string) (devSecrets, error) {
	path := filepath.Join(dir, "secrets.json")
	var s devSecrets
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &s); err != nil {
			return s, fmt.Errorf("read %s: %w", path, err)
		}
		if s.HS256 == "" || s.Lead == "" || s.Server == "" {
			return s, fmt.Errorf("read %s: secrets missing; delete the file to make new ones", path)
		}
		return s, nil
	case !errors.Is(err, fs.ErrNotExist):
		return s, fmt.Errorf("read %s: %w", path, err)
	}
	s = devSecrets{HS256: randomSecret(), Lead: randomSecret(), Server: randomSecret()}
	return s, writeDevSecrets(path, s)
}

// writeDevSecrets stores s at path, readable by its owner only.
func writeDevSecrets(path string, s devSecrets) error {
	data, _ := json.Marshal(s)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// randomSecret returns 48 random bytes, base64 encoded.
func randomSecret() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
