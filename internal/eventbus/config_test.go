package eventbus

import (
	"strings"
	"testing"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/stretchr/testify/require"
)

const (
	testSecretRaw = "a-raw-secret-of-32-bytes-length!"
	// testSecretB64 is "whsec_" + base64 of 24 bytes.
	testSecretB64 = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	okHTTP := Config{
		Transports:  []string{"http"},
		HTTPURLs:    []string{"https://hooks.example.com/in?token=abc"},
		HTTPSecrets: []string{testSecretB64, testSecretRaw},
	}
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; nil means valid
	}{
		{"zero is log", Config{}, nil},
		{"every transport", Config{
			Transports:  []string{" LOG", "nats", "http", "eventbridge", "sqs", ""},
			HTTPURLs:    okHTTP.HTTPURLs,
			HTTPSecrets: okHTTP.HTTPSecrets,
			AWSRegion:   "eu-central-1",
			SQSQueueURL: "https://sqs.eu-central-1.amazonaws.com/123/events.fifo",
		}, nil},
		{"http", okHTTP, nil},
		{"settings of disabled transports ignored", Config{
			Transports: []string{"log"}, HTTPURLs: []string{"::"}, NATSStream: "a.b",
		}, nil},
		{"unknown and repeated", Config{Transports: []string{"log", "kafka", "log"}},
			[]string{`unknown transport "kafka"`, `"log" is listed twice`}},
		{"http without urls and secrets", Config{Transports: []string{"http"}},
			[]string{"EVENT_HTTP_URLS: required", "EVENT_HTTP_SECRETS: required"}},
		{"http bad values", Config{
			Transports:  []string{"http"},
			HTTPURLs:    []string{"https://ok.example.com", "ftp://x.example.com", "/relative"},
			HTTPSecrets: []string{"short-secret", "whsec_!!notbase64!!", testSecretRaw},
			HTTPTimeout: -time.Second,
		}, []string{
			"EVENT_HTTP_URLS: URL 2 is not an absolute http or https URL",
			"EVENT_HTTP_URLS: URL 3",
			"EVENT_HTTP_SECRETS: secret 1: key has 12 bytes, want at least 16",
			"EVENT_HTTP_SECRETS: secret 2: the part after \"whsec_\" is not standard base64",
			"EVENT_HTTP_TIMEOUT: must not be negative",
		}},
		{"sqs without queue or region", Config{Transports: []string{"sqs"}},
			[]string{"SQS_QUEUE_URL: required", "AWS_REGION: required"}},
		{"eventbridge without region, aws source, bad endpoint", Config{
			Transports: []string{"eventbridge"}, Source: "aws.tenantd", AWSEndpointURL: "localhost",
		}, []string{"AWS_REGION: required", "EVENT_SOURCE: EventBridge reserves",
			"AWS_ENDPOINT_URL: is not an absolute"}},
		{"nats bad names", Config{
			Transports: []string{"nats"}, NATSURL: "nats://a:4222,::", NATSSubjectPrefix: "a..b",
			NATSStream: "EVENTS.X",
		}, []string{"NATS_URL: server 2", "NATS_SUBJECT_PREFIX: \"a..b\" has an empty token",
			"NATS_STREAM: \"EVENTS.X\" must not contain"}},
		{"nats wildcard prefix", Config{Transports: []string{"nats"}, NATSSubjectPrefix: "t.>"},
			[]string{"NATS_SUBJECT_PREFIX: \"t.>\" must not contain"}},
		{"source with space", Config{Source: "urn:ten antd"},
			[]string{"EVENT_SOURCE: must not contain white space"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			require.Len(t, strings.Split(err.Error(), "\n"), len(tc.want),
				"one line per problem: %v", err)
			for _, s := range tc.cfg.HTTPSecrets {
				require.NotContains(t, err.Error(), s, "secrets never appear in errors")
			}
		})
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	t.Parallel()
	var c Config
	require.NoError(t, env.ParseWithOptions(&c, env.Options{Environment: map[string]string{}}))
	require.Equal(t, []string{"log"}, c.Transports)
	require.Equal(t, DefaultSource, c.Source)
	require.Equal(t, DefaultNATSURL, c.NATSURL)
	require.Equal(t, DefaultNATSSubjectPrefix, c.NATSSubjectPrefix)
	require.Equal(t, DefaultNATSStream, c.NATSStream)
	require.Equal(t, DefaultHTTPTimeout, c.HTTPTimeout)
	require.Equal(t, DefaultEventBridgeBus, c.EventBridgeBus)
	require.NoError(t, c.Validate())

	c = Config{}
	require.NoError(t, env.ParseWithOptions(&c, env.Options{Environment: map[string]string{
		"EVENT_TRANSPORTS":   "log,http,sqs",
		"EVENT_SOURCE":       "https://tenantd.example.com",
		"EVENT_HTTP_URLS":    "https://a.example.com/hook,https://b.example.com/hook",
		"EVENT_HTTP_SECRETS": testSecretB64 + "," + testSecretRaw,
		"EVENT_HTTP_TIMEOUT": "3s",
		"AWS_REGION":         "eu-west-1",
		"AWS_ENDPOINT_URL":   "http://localhost:4566",
		"SQS_QUEUE_URL":      "http://localhost:4566/000000000000/events",
		"EVENTBRIDGE_BUS":    "tenantd",
	}}))
	require.Equal(t, []string{"log", "http", "sqs"}, c.Transports)
	require.Equal(t, "https://tenantd.example.com", c.Source)
	require.Equal(t, []string{"https://a.example.com/hook", "https://b.example.com/hook"},
		c.HTTPURLs)
	require.Equal(t, []string{testSecretB64, testSecretRaw}, c.HTTPSecrets)
	require.Equal(t, 3*time.Second, c.HTTPTimeout)
	require.Equal(t, "eu-west-1", c.AWSRegion)
	require.Equal(t, "http://localhost:4566", c.AWSEndpointURL)
	require.Equal(t, "tenantd", c.EventBridgeBus)
	require.NoError(t, c.Validate())
}
