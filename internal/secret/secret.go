// Package secret holds tenantd's server key and what is derived from it: one-time codes that are
// never stored (only their hash), and encryption at rest of provisioning secrets. internal/app
// builds the Keyring from TENANTD_SECRET_KEY; onboarding, provisioning and jobs use it.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// MinKeyLen is the shortest server key accepted, in bytes.
const MinKeyLen = 32

// Keyring derives codes and encrypts secrets with the server key. It is safe for concurrent use.
type Keyring struct {
	codeKey []byte
	aead    cipher.AEAD
}

// NewKeyring builds a Keyring from key (at least MinKeyLen bytes). Sub-keys for codes and for
// encryption are derived separately, so neither use can leak into the other.
func NewKeyring(key []byte) (*Keyring, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("server key: need at least %d bytes, got %d", MinKeyLen, len(key))
	}
	encKey := derive(key, "tenantd encryption v1")
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("create cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("create gcm: %w", err)
	}
	return &Keyring{codeKey: derive(key, "tenantd codes v1"), aead: aead}, nil
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Code returns the one-time code of the verification id: 192 bits from an HMAC of the id under
// the server key, base64url without padding (32 characters). The code is never stored: the
// emailing job derives it again from the id, and the database keeps only HashCode(code).
func (k *Keyring) Code(verificationID uuid.UUID) string {
	m := hmac.New(sha256.New, k.codeKey)
	m.Write(verificationID[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// HashCode returns the stored form of a code (SHA-256).
func HashCode(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// CodeMatches compares code with a stored hash in constant time.
func CodeMatches(code string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashCode(code), hash) == 1
}

// Encrypt seals plaintext with AES-256-GCM under the server key; the nonce is prepended.
func (k *Keyring) Encrypt(plaintext []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, plaintext, nil)
}

// ErrDecrypt is returned when a ciphertext was not made by this key or was altered.
var ErrDecrypt = errors.New("ciphertext does not open with the server key")

// Decrypt opens what Encrypt sealed.
func (k *Keyring) Decrypt(ciphertext []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(ciphertext) < n {
		return nil, ErrDecrypt
	}
	out, err := k.aead.Open(nil, ciphertext[:n], ciphertext[n:], nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

// Random returns n random bytes, base64url encoded without padding.
func Random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
