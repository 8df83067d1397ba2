package webhook

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

const testTenant = "0190a8b4-5f1e-7c3a-9d2b-1e2f3a4b5c6d"

func TestDecodeCallbackAccepts(t *testing.T) {
	t.Parallel()
	tenant := uuid.MustParse(testTenant)
	tests := []struct {
		name string
		body string
		want Callback
	}{
		{
			name: "full success",
			body: `{"initiatorId":"` + testTenant + `","type":0,"data":{"status":"success",
				"resources":[{"type":"db","externalIdentifier":"arn:1","metadata":{"size":2}},
				{"type":"bucket","metadata":{}}],"appPlaneUrl":"https://acme.example.com"}}`,
			want: Callback{TenantID: tenant, Type: TypeProvisioned, Success: true,
				Resources: []Resource{
					{Type: "db", ExternalIdentifier: "arn:1",
						Metadata: map[string]any{"size": 2.0}},
					{Type: "bucket", Metadata: map[string]any{}},
				},
				AppPlaneURL: "https://acme.example.com"},
		},
		{
			name: "failure with reason, deprovisioned",
			body: `{"initiatorId":"` + testTenant + `","type":1,"data":{"status":"failure",` +
				`"reason":"quota exceeded"}}`,
			want: Callback{TenantID: tenant, Type: TypeDeprovisioned, Success: false,
				Resources: []Resource{}, Reason: "quota exceeded"},
		},
		{
			name: "numeric status 1",
			body: `{"initiatorId":"` + testTenant + `","type":0,"data":{"status":1}}`,
			want: Callback{TenantID: tenant, Success: true, Resources: []Resource{}},
		},
		{
			name: "numeric status 0",
			body: `{"initiatorId":"` + testTenant + `","type":0,"data":{"status":0}}`,
			want: Callback{TenantID: tenant, Success: false, Resources: []Resource{}},
		},
		{
			name: "escaped status string",
			body: `{"initiatorId":"` + testTenant + `","type":0,"data":{"status":"\u0073uccess"}}`,
			want: Callback{TenantID: tenant, Success: true, Resources: []Resource{}},
		},
		{
			name: "unknown fields ignored, null metadata and empty appPlaneUrl",
			body: `{"initiatorId":"` + testTenant + `","type":0,"extra":[1],"data":{` +
				`"status":"success","appPlaneUrl":"","more":{},` +
				`"resources":[{"type":"db","metadata":null,"tags":["x"]}]}}`,
			want: Callback{TenantID: tenant, Success: true,
				Resources: []Resource{{Type: "db", Metadata: map[string]any{}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeCallback([]byte(tt.body))
			require.NoError(t, err)
			require.Empty(t, cmp.Diff(tt.want, got))
		})
	}
}

func TestDecodeCallbackRejects(t *testing.T) {
	t.Parallel()
	pre := `{"initiatorId":"` + testTenant + `",`
	tests := []struct {
		name  string
		body  string
		field string
	}{
		{"not JSON", `nope`, "body"},
		{"trailing data", pre + `"type":0,"data":{"status":1}} x`, "body"},
		{"truncated", pre + `"type":0,"data":{"status":1}`, "body"},
		{"array", `[1]`, "body"},
		{"missing initiatorId", `{"type":0,"data":{"status":1}}`, "initiatorId"},
		{"initiatorId not a UUID", `{"initiatorId":"acme","type":0,"data":{"status":1}}`,
			"initiatorId"},
		{"initiatorId a number", `{"initiatorId":5,"type":0,"data":{"status":1}}`, "initiatorId"},
		{"missing type", pre + `"data":{"status":1}}`, "type"},
		{"type 2", pre + `"type":2,"data":{"status":1}}`, "type"},
		{"type -1", pre + `"type":-1,"data":{"status":1}}`, "type"},
		{"type string", pre + `"type":"0","data":{"status":1}}`, "type"},
		{"type fraction", pre + `"type":0.5,"data":{"status":1}}`, "type"},
		{"missing data", pre + `"type":0}`, "data"},
		{"data not an object", pre + `"type":0,"data":"x"}`, "data"},
		{"missing status", pre + `"type":0,"data":{}}`, "data.status"},
		{"null status", pre + `"type":0,"data":{"status":null}}`, "data.status"},
		{"status maybe", pre + `"type":0,"data":{"status":"maybe"}}`, "data.status"},
		{"status upper case", pre + `"type":0,"data":{"status":"SUCCESS"}}`, "data.status"},
		{"status 2", pre + `"type":0,"data":{"status":2}}`, "data.status"},
		{"status 1.0", pre + `"type":0,"data":{"status":1.0}}`, "data.status"},
		{"status true", pre + `"type":0,"data":{"status":true}}`, "data.status"},
		{"resources not an array", pre + `"type":0,"data":{"status":1,"resources":{}}}`,
			"data.resources"},
		{"resource without type", pre + `"type":0,"data":{"status":1,"resources":[{}]}}`,
			"data.resources[0].type"},
		{"resource null", pre + `"type":0,"data":{"status":1,"resources":[{"type":"a"},null]}}`,
			"data.resources[1].type"},
		{"resource type number", pre + `"type":0,"data":{"status":1,"resources":[{"type":1}]}}`,
			"data.resources.type"},
		{"metadata string",
			pre + `"type":0,"data":{"status":1,"resources":[{"type":"a","metadata":"m"}]}}`,
			"data.resources.metadata"},
		{"appPlaneUrl relative", pre + `"type":0,"data":{"status":1,"appPlaneUrl":"/x"}}`,
			"data.appPlaneUrl"},
		{"appPlaneUrl ftp", pre + `"type":0,"data":{"status":1,"appPlaneUrl":"ftp://h/"}}`,
			"data.appPlaneUrl"},
		{"reason number", pre + `"type":0,"data":{"status":0,"reason":5}}`, "data.reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeCallback([]byte(tt.body))
			var be *bodyError
			require.ErrorAs(t, err, &be)
			require.Equal(t, tt.field, be.Field, "message: %s", be.Message)
		})
	}
}

func TestInitiatorKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"object", `{"initiatorId":"` + testTenant + `"}`, true},
		{"trailing data left for the strict decoder", `{"initiatorId":"` + testTenant + `"} x`,
			true},
		{"not JSON", `initiatorId=` + testTenant, false},
		{"empty", ``, false},
		{"null", `null`, false},
		{"array", `["` + testTenant + `"]`, false},
		{"number", `{"initiatorId":1}`, false},
		{"not a UUID", `{"initiatorId":"acme"}`, false},
		{"missing", `{"type":0}`, false},
		{"syntax error later", `{"initiatorId":"` + testTenant + `","type":}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, ok := initiatorKey([]byte(tt.body))
			require.Equal(t, tt.ok, ok)
			if ok {
				require.Equal(t, uuid.MustParse(testTenant), id)
			}
		})
	}
}
