package validate

import (
	"encoding/json"
)

// MaxConfigBytes is the usual bound of a tenant config value, in bytes of its JSON encoding.
const MaxConfigBytes = 64 << 10

// JSONObjectSize records a problem when raw is nil, cannot be encoded as JSON, or takes more
// than maxBytes bytes encoded (use MaxConfigBytes for config values).
func (c *Checker) JSONObjectSize(field string, raw map[string]any, maxBytes int) {
	if raw == nil {
		c.Add(field, "must be a JSON object")
		return
	}
	b, err := json.Marshal(raw)
	if err != nil {
		c.Add(field, "must be valid JSON")
		return
	}
	if len(b) > maxBytes {
		c.Add(field, "must be at most %d bytes as JSON, got %d", maxBytes, len(b))
	}
}
