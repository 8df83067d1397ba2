package secret_test

import (
	"bytes"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/secret"
)

func keyring(t *testing.T, key string) *secret.Keyring {
	t.Helper()
	k, err := secret.NewKeyring([]byte(key))
	require.NoError(t, err)
	return k
}

func TestCodes(t *testing.T) {
	t.Parallel()
	k := keyring(t, "0123456789abcdef0123456789abcdef")
	id := uuid.Must(uuid.NewV7())

	code := k.Code(id)
	require.Len(t, code, 32, "192 bits, base64url")
	require.Equal(t, code, k.Code(id), "derived again from the id")
	require.NotEqual(t, code, k.Code(uuid.Must(uuid.NewV7())))
	require.NotEqual(t, code, keyring(t, "another-key-another-key-another-k").Code(id))

	hash := secret.HashCode(code)
	require.True(t, secret.CodeMatches(code, hash))
	require.False(t, secret.CodeMatches(code+"x", hash))
	require.False(t, secret.CodeMatches("", hash))
}

func TestEncryption(t *testing.T) {
	t.Parallel()
	k := keyring(t, "0123456789abcdef0123456789abcdef")
	plain := []byte("attempt secret")

	sealed := k.Encrypt(plain)
	require.False(t, bytes.Contains(sealed, plain))
	require.NotEqual(t, sealed, k.Encrypt(plain), "fresh nonce each time")
	opened, err := k.Decrypt(sealed)
	require.NoError(t, err)
	require.Equal(t, plain, opened)

	sealed[len(sealed)-1] ^= 1
	_, err = k.Decrypt(sealed)
	require.ErrorIs(t, err, secret.ErrDecrypt)
	_, err = keyring(t, "another-key-another-key-another-k").Decrypt(k.Encrypt(plain))
	require.ErrorIs(t, err, secret.ErrDecrypt)
	_, err = k.Decrypt([]byte("short"))
	require.ErrorIs(t, err, secret.ErrDecrypt)

	_, err = secret.NewKeyring([]byte("too short"))
	require.Error(t, err)
}
