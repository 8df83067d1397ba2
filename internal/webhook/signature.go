package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
)

const (
	// maxTimestampDigits bounds x-timestamp: 16 digits of milliseconds reach past the year
	// 285,000, and every 16-digit number fits an int64.
	maxTimestampDigits = 16
	// signatureHexLen is the length of x-signature: a SHA-256 MAC in hex.
	signatureHexLen = 2 * sha256.Size
)

// Errors of the header parsers; only logs see them, the caller always gets a plain 401.
var (
	errHeaderCount = errors.New("want exactly one value")
	errTimestamp   = errors.New("want 1 to 16 decimal digits")
	errSignature   = errors.New("want 64 lower-case hex characters")
)

// Sign returns the x-signature of a delivery: the lower-case hex HMAC-SHA256, keyed with the
// attempt's secret, of body followed by the attempt's context followed by timestamp (the
// x-timestamp header exactly as sent, Unix epoch milliseconds in decimal).
func Sign(secret []byte, body []byte, context, timestamp string) string {
	return hex.EncodeToString(mac(secret, body, context, timestamp))
}

// mac computes the raw HMAC-SHA256 of body ‖ context ‖ timestamp under secret.
func mac(secret []byte, body []byte, context, timestamp string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(body)
	h.Write([]byte(context))
	h.Write([]byte(timestamp))
	return h.Sum(nil)
}

// verifySignature reports whether got is the MAC of body ‖ context ‖ timestamp under secret,
// comparing in constant time. An empty secret never verifies.
func verifySignature(secret, body []byte, context, timestamp string, got []byte) bool {
	if len(secret) == 0 {
		return false
	}
	return hmac.Equal(mac(secret, body, context, timestamp), got)
}

// parseTimestamp parses the values of x-timestamp: exactly one value of 1 to 16 ASCII
// digits (no sign, no space, no exponent), read as Unix epoch milliseconds.
func parseTimestamp(values []string) (time.Time, error) {
	if len(values) != 1 {
		return time.Time{}, errHeaderCount
	}
	v := values[0]
	if len(v) == 0 || len(v) > maxTimestampDigits {
		return time.Time{}, errTimestamp
	}
	for i := range len(v) {
		if v[i] < '0' || v[i] > '9' {
			return time.Time{}, errTimestamp
		}
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil { // unreachable with at most 16 digits; kept so a change cannot panic
		return time.Time{}, errTimestamp
	}
	return time.UnixMilli(ms), nil
}

// parseSignature parses the values of x-signature: exactly one value of 64 lower-case hex
// characters, returned decoded.
func parseSignature(values []string) ([]byte, error) {
	if len(values) != 1 {
		return nil, errHeaderCount
	}
	v := values[0]
	if len(v) != signatureHexLen {
		return nil, errSignature
	}
	for i := range len(v) {
		c := v[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return nil, errSignature
		}
	}
	sig, err := hex.DecodeString(v)
	if err != nil { // unreachable after the character check
		return nil, errSignature
	}
	return sig, nil
}
