package eventbus

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"
)

// awsRequest is one request the AWS stand-in got.
type awsRequest struct {
	header http.Header
	body   map[string]any
}

// awsStandIn is an httptest server answering like an AWS JSON-protocol service.
type awsStandIn struct {
	url string

	mu       sync.Mutex
	requests []awsRequest
}

// newAWSStandIn starts a stand-in whose answer is built by answer from the request body.
func newAWSStandIn(t *testing.T, answer func(body map[string]any) string) *awsStandIn {
	t.Helper()
	s := &awsStandIn{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			http.Error(w, `{"__type":"SerializationException"}`, http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, awsRequest{header: r.Header.Clone(), body: body})
		s.mu.Unlock()
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		_, _ = io.WriteString(w, answer(body))
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// got returns the requests so far.
func (s *awsStandIn) got() []awsRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]awsRequest(nil), s.requests...)
}

// newAWSBus returns a Bus with one AWS transport pointed at the stand-in.
func newAWSBus(t *testing.T, transport, endpoint, queue string) *Bus {
	t.Helper()
	b, err := New(Config{
		Transports:     []string{transport},
		Source:         "urn:tenantd:test",
		AWSRegion:      "eu-central-1",
		AWSEndpointURL: endpoint,
		AWSCredentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		EventBridgeBus: "tenantd-bus",
		SQSQueueURL:    queue,
	}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

// requireSigned checks the SigV4 authorization of a stand-in request.
func requireSigned(t *testing.T, h http.Header, service string) {
	t.Helper()
	auth := h.Get("Authorization")
	require.True(t, strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/"), auth)
	require.Contains(t, auth, "/eu-central-1/"+service+"/aws4_request")
	require.Contains(t, auth, "Signature=")
}

func TestEventBridgePutEvents(t *testing.T) {
	t.Parallel()
	aws := newAWSStandIn(t, func(map[string]any) string {
		return `{"FailedEntryCount":0,"Entries":[{"EventId":"x"}]}`
	})
	b := newAWSBus(t, "eventbridge", aws.url, "")
	env := testEnvelope(t)

	require.NoError(t, b.Publish(t.Context(), env))

	got := aws.got()
	require.Len(t, got, 1)
	require.Equal(t, "AWSEvents.PutEvents", got[0].header.Get("X-Amz-Target"))
	require.Equal(t, "application/x-amz-json-1.1", got[0].header.Get("Content-Type"))
	requireSigned(t, got[0].header, "events")
	entries, ok := got[0].body["Entries"].([]any)
	require.True(t, ok, "%v", got[0].body)
	require.Len(t, entries, 1)
	entry := entries[0].(map[string]any)
	require.Equal(t, "tenant.created", entry["DetailType"])
	require.Equal(t, "urn:tenantd:test", entry["Source"])
	require.Equal(t, "tenantd-bus", entry["EventBusName"])
	require.EqualValues(t, env.Time.Unix(), entry["Time"])
	var detail Envelope
	require.NoError(t, json.Unmarshal([]byte(entry["Detail"].(string)), &detail))
	require.Equal(t, env.ID, detail.ID)
	require.Equal(t, "urn:test", detail.Source)
}

func TestEventBridgeFailedEntry(t *testing.T) {
	t.Parallel()
	aws := newAWSStandIn(t, func(map[string]any) string {
		return `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure",` +
			`"ErrorMessage":"try again"}]}`
	})
	b := newAWSBus(t, "eventbridge", aws.url, "")

	err := b.Publish(t.Context(), testEnvelope(t))
	require.ErrorContains(t, err, "eventbridge transport")
	require.ErrorContains(t, err, "entry rejected: InternalFailure: try again")
	require.False(t, IsPermanent(err))
}

// sqsAnswer answers SendMessage with the MD5 of the body, which the SDK checks.
func sqsAnswer(body map[string]any) string {
	sum := md5.Sum([]byte(body["MessageBody"].(string)))
	return `{"MessageId":"m","MD5OfMessageBody":"` + hex.EncodeToString(sum[:]) + `"}`
}

func TestSQSSendMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		queue string
		fifo  bool
	}{
		{"standard", "https://sqs.eu-central-1.amazonaws.com/123456789012/events", false},
		{"fifo", "https://sqs.eu-central-1.amazonaws.com/123456789012/events.fifo", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			aws := newAWSStandIn(t, sqsAnswer)
			b := newAWSBus(t, "sqs", aws.url, tc.queue)
			env := testEnvelope(t)

			require.NoError(t, b.Publish(t.Context(), env))

			got := aws.got()
			require.Len(t, got, 1)
			h, body := got[0].header, got[0].body
			require.Equal(t, "AmazonSQS.SendMessage", h.Get("X-Amz-Target"))
			require.Equal(t, "application/x-amz-json-1.0", h.Get("Content-Type"))
			requireSigned(t, h, "sqs")
			require.Equal(t, tc.queue, body["QueueUrl"])
			var sent Envelope
			require.NoError(t, json.Unmarshal([]byte(body["MessageBody"].(string)), &sent))
			require.Equal(t, env.ID, sent.ID)
			require.Equal(t, map[string]any{
				"type": map[string]any{"DataType": "String", "StringValue": "tenant.created"},
				"id":   map[string]any{"DataType": "String", "StringValue": env.ID},
			}, body["MessageAttributes"])
			if tc.fifo {
				require.Equal(t, env.Subject, body["MessageGroupId"])
				require.Equal(t, env.ID, body["MessageDeduplicationId"])
			} else {
				require.NotContains(t, body, "MessageGroupId")
				require.NotContains(t, body, "MessageDeduplicationId")
			}
		})
	}
}

func TestSQSChecksumMismatch(t *testing.T) {
	t.Parallel()
	aws := newAWSStandIn(t, func(map[string]any) string {
		return `{"MessageId":"m","MD5OfMessageBody":"00000000000000000000000000000000"}`
	})
	b := newAWSBus(t, "sqs", aws.url, "https://sqs.eu-central-1.amazonaws.com/1/events")

	err := b.Publish(t.Context(), testEnvelope(t))
	require.ErrorContains(t, err, "sqs transport")
	require.ErrorContains(t, err, "checksum")
}
