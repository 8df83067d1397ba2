package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"

	"github.com/google/uuid"
)

// bodyError is a problem with a verified body: Field names the JSON path, Message what is
// wrong with it. Both are safe to show to the provisioner and to log: they quote no input.
type bodyError struct {
	Field   string
	Message string
}

// Error returns "field: message".
func (e *bodyError) Error() string { return e.Field + ": " + e.Message }

// payload is the body of a delivery (SPEC section 6). Pointers tell absent from zero. Unknown
// fields anywhere are ignored: provisioners add their own, and the signature already proves
// the body came from the holder of the attempt's secret. Like all of encoding/json, keys
// match case-insensitively and a repeated key keeps its last value; initiatorKey decodes the
// same way, so the tenant looked up is the tenant decoded.
type payload struct {
	InitiatorID *string      `json:"initiatorId"`
	Type        *int         `json:"type"`
	Data        *payloadData `json:"data"`
}

// payloadData is the data object of a delivery.
type payloadData struct {
	Status      json.RawMessage   `json:"status"`
	Resources   []payloadResource `json:"resources"`
	AppPlaneURL *string           `json:"appPlaneUrl"`
	Reason      *string           `json:"reason"`
}

// payloadResource is one element of data.resources.
type payloadResource struct {
	Type               *string        `json:"type"`
	ExternalIdentifier *string        `json:"externalIdentifier"`
	Metadata           map[string]any `json:"metadata"`
}

// initiatorKey extracts initiatorId from an unverified body, only to find the key that
// verifies it. It reports false unless the body starts with a JSON object whose initiatorId
// is a string holding a UUID. Anything after that first value is left for decodeCallback to
// refuse with 400 once the signature has been verified.
func initiatorKey(body []byte) (uuid.UUID, bool) {
	var key struct {
		InitiatorID string `json:"initiatorId"`
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&key); err != nil {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(key.InitiatorID)
	if err != nil {
		return uuid.Nil, false
	}
	return id, true
}

// decodeCallback decodes a verified body strictly into the fields of a Callback (tenant, type,
// status, resources, appPlaneUrl, reason); the caller adds the attempt and the headers. A
// problem is a *bodyError naming the field.
func decodeCallback(body []byte) (Callback, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return Callback{}, jsonError(err)
	}
	var cb Callback
	if p.InitiatorID == nil {
		return Callback{}, &bodyError{"initiatorId", "is required"}
	}
	id, err := uuid.Parse(*p.InitiatorID)
	if err != nil {
		return Callback{}, &bodyError{"initiatorId", "must be a UUID"}
	}
	cb.TenantID = id

	switch {
	case p.Type == nil:
		return Callback{}, &bodyError{"type", "is required"}
	case *p.Type != int(TypeProvisioned) && *p.Type != int(TypeDeprovisioned):
		return Callback{}, &bodyError{"type", "must be 0 (provisioned) or 1 (deprovisioned)"}
	}
	cb.Type = CallbackType(*p.Type)

	if p.Data == nil {
		return Callback{}, &bodyError{"data", "is required"}
	}
	if err := decodeData(p.Data, &cb); err != nil {
		return Callback{}, err
	}
	if hasNUL(cb.Reason) || hasNUL(cb.AppPlaneURL) || hasNUL(resourceStrings(cb.Resources)) {
		// PostgreSQL text cannot hold NUL; refusing it here keeps it a 400, not a 503.
		return Callback{}, &bodyError{"data", "must not contain NUL characters"}
	}
	return cb, nil
}

// hasNUL reports whether v (a string, or JSON-decoded data) contains a NUL character.
func hasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.ContainsRune(x, 0)
	case []any:
		for _, e := range x {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if hasNUL(k) || hasNUL(e) {
				return true
			}
		}
	}
	return false
}

// resourceStrings gathers the resources' text for hasNUL.
func resourceStrings(rs []Resource) []any {
	out := make([]any, 0, 3*len(rs))
	for _, r := range rs {
		out = append(out, r.Type, r.ExternalIdentifier, map[string]any(r.Metadata))
	}
	return out
}

// decodeData checks the data object and copies it into cb.
func decodeData(d *payloadData, cb *Callback) error {
	success, err := parseStatus(d.Status)
	if err != nil {
		return err
	}
	cb.Success = success

	cb.Resources = make([]Resource, 0, len(d.Resources))
	for i, r := range d.Resources {
		if r.Type == nil || strings.TrimSpace(*r.Type) == "" {
			return &bodyError{fmt.Sprintf("data.resources[%d].type", i), "is required"}
		}
		res := Resource{Type: *r.Type, Metadata: r.Metadata}
		if r.ExternalIdentifier != nil {
			res.ExternalIdentifier = *r.ExternalIdentifier
		}
		if res.Metadata == nil {
			res.Metadata = map[string]any{}
		}
		cb.Resources = append(cb.Resources, res)
	}

	if d.AppPlaneURL != nil && *d.AppPlaneURL != "" {
		if !isWebURL(*d.AppPlaneURL) {
			return &bodyError{"data.appPlaneUrl", "must be an absolute http or https URL"}
		}
		cb.AppPlaneURL = *d.AppPlaneURL
	}
	if d.Reason != nil {
		cb.Reason = *d.Reason
	}
	return nil
}

// parseStatus reads data.status: "success" or 1 is true, "failure" or 0 is false.
func parseStatus(raw json.RawMessage) (bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return false, &bodyError{"data.status", "is required"}
	}
	invalid := &bodyError{"data.status", `must be "success", "failure", 1 or 0`}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return false, invalid
		}
		switch s {
		case "success":
			return true, nil
		case "failure":
			return false, nil
		}
		return false, invalid
	}
	switch string(raw) {
	case "1":
		return true, nil
	case "0":
		return false, nil
	}
	return false, invalid
}

// isWebURL reports whether s is an absolute http or https URL with a host.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// jsonError turns an encoding/json error into a bodyError that quotes no input.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return &bodyError{"body", fmt.Sprintf("is not valid JSON (at byte %d)", syntax.Offset)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return &bodyError{field, "must be " + kindName(typ.Type)}
	default:
		return &bodyError{"body", "is not valid JSON"}
	}
}

// kindName names the JSON kind a Go type decodes from, with its article.
func kindName(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "a boolean"
	case reflect.Pointer:
		return kindName(t.Elem())
	default:
		return "of another type"
	}
}
