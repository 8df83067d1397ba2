package webhook

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSignKnownAnswer(t *testing.T) {
	t.Parallel()
	// Computed independently with Python's hmac module.
	tests := []struct {
		secret, body, context, timestamp, want string
	}{
		{"s3cr3t", `{"a":1}`, "ctx", "1700000000000",
			"37ca2b265db577cdef28dfe4706660062600e42ab42e70a8c229430eaa5751b4"},
		{"k", "", "", "", "8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620"},
	}
	for _, tt := range tests {
		got := Sign([]byte(tt.secret), []byte(tt.body), tt.context, tt.timestamp)
		require.Equal(t, tt.want, got)
	}
}

func TestParseTimestamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []string
		want   int64 // milliseconds; -1 for an error
	}{
		{"milliseconds", []string{"1700000000000"}, 1700000000000},
		{"zero", []string{"0"}, 0},
		{"leading zeros, harmless", []string{"01700000000000"}, 1700000000000},
		{"16 digits", []string{"9999999999999999"}, 9999999999999999},
		{"17 digits", []string{"10000000000000000"}, -1},
		{"missing", nil, -1},
		{"duplicated", []string{"1700000000000", "1700000000000"}, -1},
		{"empty", []string{""}, -1},
		{"plus sign", []string{"+1700000000000"}, -1},
		{"minus sign", []string{"-1700000000000"}, -1},
		{"leading space", []string{" 1700000000000"}, -1},
		{"trailing space", []string{"1700000000000 "}, -1},
		{"exponent", []string{"17e11"}, -1},
		{"decimal point", []string{"1700000000000.0"}, -1},
		{"hex", []string{"0x18bcfe56800"}, -1},
		{"underscore", []string{"1_700_000_000_000"}, -1},
		{"unicode digit", []string{"١٧٠٠"}, -1},
		{"two values in one", []string{"1700000000000, 1700000000000"}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseTimestamp(tt.values)
			if tt.want < 0 {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.True(t, got.Equal(time.UnixMilli(tt.want)), "got %v", got)
		})
	}
}

func TestParseSignature(t *testing.T) {
	t.Parallel()
	valid := Sign([]byte("k"), []byte("b"), "c", "1")
	decoded, err := hex.DecodeString(valid)
	require.NoError(t, err)
	tests := []struct {
		name   string
		values []string
		ok     bool
	}{
		{"valid", []string{valid}, true},
		{"missing", nil, false},
		{"duplicated", []string{valid, valid}, false},
		{"empty", []string{""}, false},
		{"upper-case hex", []string{"A" + valid[1:]}, false},
		{"63 characters", []string{valid[:63]}, false},
		{"65 characters", []string{valid + "0"}, false},
		{"non-hex", []string{"g" + valid[1:]}, false},
		{"sha256= prefix", []string{"sha256=" + valid[7:]}, false},
		{"space", []string{" " + valid[1:]}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseSignature(tt.values)
			if !tt.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, decoded, got)
		})
	}
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	secret, body, context, ts := []byte("secret"), []byte(`{"x":1}`), "ctx", "1700000000000"
	good, err := hex.DecodeString(Sign(secret, body, context, ts))
	require.NoError(t, err)
	tests := []struct {
		name    string
		secret  []byte
		body    []byte
		context string
		ts      string
		ok      bool
	}{
		{"matches", secret, body, context, ts, true},
		{"wrong key", []byte("secreT"), body, context, ts, false},
		{"empty key", nil, body, context, ts, false},
		{"wrong context", secret, body, "ctx2", ts, false},
		{"body changed", secret, []byte(`{"x":2}`), context, ts, false},
		{"timestamp changed", secret, body, context, "1700000000001", false},
		{"timestamp in seconds", secret, body, context, "1700000000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.ok, verifySignature(tt.secret, tt.body, tt.context, tt.ts, good))
		})
	}
}

// FuzzVerify checks that a signature made by Sign always parses and verifies, that it stops
// verifying when any input changes, and that no other MAC verifies.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("secret"), []byte(`{"initiatorId":"x"}`), "ctx", "1700000000000", []byte{1})
	f.Add([]byte("k"), []byte{}, "", "", []byte{})
	f.Add([]byte{}, []byte("b"), "c", "1", make([]byte, 32))
	f.Fuzz(func(t *testing.T, secret, body []byte, context, ts string, other []byte) {
		sig := Sign(secret, body, context, ts)
		mac, err := parseSignature([]string{sig})
		require.NoError(t, err, "Sign must produce a header parseSignature accepts")
		require.Equal(t, len(secret) > 0, verifySignature(secret, body, context, ts, mac))
		if len(secret) == 0 {
			return
		}

		if len(body) > 0 {
			changed := bytes.Clone(body)
			changed[len(changed)-1] ^= 1
			require.False(t, verifySignature(secret, changed, context, ts, mac))
		}
		require.False(t, verifySignature(secret, body, context, ts+"0", mac))
		// Flip a byte rather than append one: HMAC pads short keys with zeros, so "k" and
		// "k\x00" are the same key.
		wrongKey := bytes.Clone(secret)
		wrongKey[0] ^= 1
		require.False(t, verifySignature(wrongKey, body, context, ts, mac))
		require.Equal(t, bytes.Equal(other, mac), verifySignature(secret, body, context, ts, other))
	})
}
