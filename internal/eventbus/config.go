package eventbus

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Transport names accepted in Config.Transports.
const (
	// TransportLog writes each event as one structured log line.
	TransportLog = "log"
	// TransportNATS publishes to NATS JetStream.
	TransportNATS = "nats"
	// TransportHTTP posts Standard Webhooks signed requests.
	TransportHTTP = "http"
	// TransportEventBridge puts events on an AWS EventBridge bus.
	TransportEventBridge = "eventbridge"
	// TransportSQS sends events to an AWS SQS queue.
	TransportSQS = "sqs"
)

// transportNames lists every transport name in the order the documentation gives them.
var transportNames = []string{
	TransportLog, TransportNATS, TransportHTTP, TransportEventBridge, TransportSQS,
}

// Defaults applied to zero Config fields.
const (
	// DefaultSource is the CloudEvents source when EVENT_SOURCE is not set.
	DefaultSource = "urn:tenantd"
	// DefaultNATSURL is the NATS server when NATS_URL is not set.
	DefaultNATSURL = "nats://127.0.0.1:4222"
	// DefaultNATSSubjectPrefix is the first subject token when NATS_SUBJECT_PREFIX is not set.
	DefaultNATSSubjectPrefix = "tenantd"
	// DefaultNATSStream is the JetStream stream when NATS_STREAM is not set.
	DefaultNATSStream = "TENANTD_EVENTS"
	// DefaultHTTPTimeout bounds one webhook request when EVENT_HTTP_TIMEOUT is not set.
	DefaultHTTPTimeout = 10 * time.Second
	// DefaultEventBridgeBus is the event bus when EVENTBRIDGE_BUS is not set.
	DefaultEventBridgeBus = "default"
	// MinSecretBytes is the shortest webhook secret accepted, after base64 decoding of the
	// "whsec_" form.
	MinSecretBytes = 16
)

// Config chooses and configures the event transports (SPEC section 7). The env tags let
// cmd/tenantd load it with the rest of the configuration (caarlos0/env); zero fields that
// have a default get it in New, so a Config built in code needs only what differs.
type Config struct {
	// Transports lists the enabled transports, any of log, nats, http, eventbridge and sqs,
	// comma separated (EVENT_TRANSPORTS, default "log"). Every event goes to each of them.
	Transports []string `env:"EVENT_TRANSPORTS" envSeparator:"," envDefault:"log"`
	// Source is the CloudEvents source of every event, a URI reference (EVENT_SOURCE,
	// default "urn:tenantd"); the eventbridge transport also uses it as the entry's Source.
	Source string `env:"EVENT_SOURCE" envDefault:"urn:tenantd"`

	// NATSURL is the NATS server URL, or several comma separated (NATS_URL, default
	// "nats://127.0.0.1:4222"). Credentials in it are never logged.
	NATSURL string `env:"NATS_URL" envDefault:"nats://127.0.0.1:4222"`
	// NATSSubjectPrefix is put before the event type to form the subject, e.g.
	// "tenantd.tenant.created" (NATS_SUBJECT_PREFIX, default "tenantd").
	NATSSubjectPrefix string `env:"NATS_SUBJECT_PREFIX" envDefault:"tenantd"`
	// NATSStream is the JetStream stream that must capture "<prefix>.>" (NATS_STREAM, default
	// "TENANTD_EVENTS"). It is created when missing, with a de-duplication window of
	// NATSDuplicateWindow; an existing stream is used as it is.
	NATSStream string `env:"NATS_STREAM" envDefault:"TENANTD_EVENTS"`

	// HTTPURLs are the webhook endpoints, comma separated (EVENT_HTTP_URLS); every event is
	// posted to each. Required with the http transport.
	HTTPURLs []string `env:"EVENT_HTTP_URLS" envSeparator:","`
	// HTTPSecrets are the Standard Webhooks signing secrets, comma separated
	// (EVENT_HTTP_SECRETS). Each is "whsec_<base64 key>" or else used verbatim as the key
	// (then it cannot contain a comma); keys must have at least 16 bytes. Every request is
	// signed with each, so a receiver can move to a new secret while the old one still
	// verifies. Required with the http transport; never logged.
	HTTPSecrets []string `env:"EVENT_HTTP_SECRETS" envSeparator:","`
	// HTTPTimeout bounds one webhook request (EVENT_HTTP_TIMEOUT, default 10s).
	HTTPTimeout time.Duration `env:"EVENT_HTTP_TIMEOUT" envDefault:"10s"`

	// AWSRegion is the AWS region (AWS_REGION). Required with eventbridge and sqs.
	// Credentials come from aws-sdk-go-v2's default chain (AWS_ACCESS_KEY_ID and
	// AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, instance or task role).
	AWSRegion string `env:"AWS_REGION"`
	// AWSEndpointURL replaces the AWS service endpoints, for local stand-ins such as
	// LocalStack (AWS_ENDPOINT_URL, optional).
	AWSEndpointURL string `env:"AWS_ENDPOINT_URL"`
	// AWSCredentials replaces the default credential chain when set. It exists for tests
	// and embedding programs; no environment variable sets it.
	AWSCredentials aws.CredentialsProvider
	// EventBridgeBus is the event bus name or ARN (EVENTBRIDGE_BUS, default "default").
	EventBridgeBus string `env:"EVENTBRIDGE_BUS" envDefault:"default"`
	// SQSQueueURL is the queue URL (SQS_QUEUE_URL). Required with sqs. For a FIFO queue
	// (URL ending in ".fifo") messages are grouped by subject and de-duplicated by event id.
	SQSQueueURL string `env:"SQS_QUEUE_URL"`
}

// Validate reports every problem of c at once, each prefixed with the environment variable
// it concerns. Settings of transports that are not enabled are not checked. Secrets and
// URLs never appear in the messages, only their position in the list.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(checkTransports(c.Transports))
	add(checkSource(c.Source))
	if c.enabled(TransportNATS) {
		add(checkNATS(c))
	}
	if c.enabled(TransportHTTP) {
		add(checkHTTP(c))
	}
	if c.enabled(TransportEventBridge) || c.enabled(TransportSQS) {
		add(checkAWS(c))
	}
	return errors.Join(errs...)
}

// withDefaults returns c with its zero fields set to their defaults and transport names
// trimmed and lower-cased; blank entries (a trailing comma) are dropped.
func (c Config) withDefaults() Config {
	names := make([]string, 0, len(c.Transports))
	for _, n := range c.Transports {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		names = []string{TransportLog}
	}
	c.Transports = names
	c.Source = strings.TrimSpace(c.Source)
	setDefault(&c.Source, DefaultSource)
	setDefault(&c.NATSURL, DefaultNATSURL)
	setDefault(&c.NATSSubjectPrefix, DefaultNATSSubjectPrefix)
	setDefault(&c.NATSStream, DefaultNATSStream)
	setDefault(&c.EventBridgeBus, DefaultEventBridgeBus)
	if c.HTTPTimeout == 0 {
		c.HTTPTimeout = DefaultHTTPTimeout
	}
	return c
}

// setDefault sets *s to def when it is empty.
func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// enabled reports whether the transport name is in c.Transports.
func (c Config) enabled(name string) bool { return slices.Contains(c.Transports, name) }

// checkTransports rejects unknown and repeated transport names.
func checkTransports(names []string) error {
	var errs []error
	for i, n := range names {
		if !slices.Contains(transportNames, n) {
			errs = append(errs, fmt.Errorf(
				"EVENT_TRANSPORTS: unknown transport %q (want one of %s)",
				n, strings.Join(transportNames, ", ")))
		} else if slices.Index(names, n) < i {
			errs = append(errs, fmt.Errorf("EVENT_TRANSPORTS: %q is listed twice", n))
		}
	}
	return errors.Join(errs...)
}

// checkSource accepts a URI reference without white space.
func checkSource(source string) error {
	if strings.ContainsFunc(source, isSpace) {
		return errors.New("EVENT_SOURCE: must not contain white space")
	}
	if _, err := url.Parse(source); err != nil {
		return fmt.Errorf("EVENT_SOURCE: not a URI reference: %w", err)
	}
	return nil
}

// checkNATS validates the NATS settings.
func checkNATS(c Config) error {
	var errs []error
	for i, s := range strings.Split(c.NATSURL, ",") {
		if u, err := url.Parse(strings.TrimSpace(s)); err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("NATS_URL: server %d is not a URL like nats://host:4222",
				i+1))
		}
	}
	if err := checkSubject(c.NATSSubjectPrefix); err != nil {
		errs = append(errs, fmt.Errorf("NATS_SUBJECT_PREFIX: %w", err))
	}
	if strings.ContainsFunc(c.NATSStream, func(r rune) bool {
		return isSpace(r) || strings.ContainsRune(".*>/\\", r)
	}) {
		errs = append(errs, fmt.Errorf(
			"NATS_STREAM: %q must not contain white space, '.', '*', '>', '/' or '\\'",
			c.NATSStream))
	}
	return errors.Join(errs...)
}

// checkHTTP validates the webhook settings.
func checkHTTP(c Config) error {
	var errs []error
	if len(c.HTTPURLs) == 0 {
		errs = append(errs, errors.New("EVENT_HTTP_URLS: required with the http transport"))
	}
	for i, s := range c.HTTPURLs {
		if err := checkHTTPURL(s); err != nil {
			errs = append(errs, fmt.Errorf("EVENT_HTTP_URLS: URL %d %w", i+1, err))
		}
	}
	if len(c.HTTPSecrets) == 0 {
		errs = append(errs, errors.New("EVENT_HTTP_SECRETS: required with the http transport"))
	}
	for i, s := range c.HTTPSecrets {
		if _, err := parseSecret(s); err != nil {
			errs = append(errs, fmt.Errorf("EVENT_HTTP_SECRETS: secret %d: %w", i+1, err))
		}
	}
	if c.HTTPTimeout < 0 {
		errs = append(errs, fmt.Errorf("EVENT_HTTP_TIMEOUT: must not be negative, not %s",
			c.HTTPTimeout))
	}
	return errors.Join(errs...)
}

// checkAWS validates the settings shared by eventbridge and sqs and those of each.
func checkAWS(c Config) error {
	var errs []error
	if c.AWSRegion == "" {
		errs = append(errs, errors.New(
			"AWS_REGION: required with the eventbridge and sqs transports"))
	}
	if c.AWSEndpointURL != "" {
		if err := checkHTTPURL(c.AWSEndpointURL); err != nil {
			errs = append(errs, fmt.Errorf("AWS_ENDPOINT_URL: %w", err))
		}
	}
	if c.enabled(TransportEventBridge) && strings.HasPrefix(c.Source, "aws.") {
		errs = append(errs, errors.New(
			"EVENT_SOURCE: EventBridge reserves sources starting with \"aws.\""))
	}
	if c.enabled(TransportSQS) {
		if c.SQSQueueURL == "" {
			errs = append(errs, errors.New("SQS_QUEUE_URL: required with the sqs transport"))
		} else if err := checkHTTPURL(c.SQSQueueURL); err != nil {
			errs = append(errs, fmt.Errorf("SQS_QUEUE_URL: %w", err))
		}
	}
	return errors.Join(errs...)
}

// checkHTTPURL accepts an absolute http or https URL with a host. The message leaves the URL
// out, since it may carry a token.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("is not an absolute http or https URL")
	}
	return nil
}

// checkSubject accepts a NATS subject of literal tokens: no white space, no wildcards, no
// empty token.
func checkSubject(s string) error {
	if strings.ContainsFunc(s, isSpace) || strings.ContainsAny(s, "*>") {
		return fmt.Errorf("%q must not contain white space, '*' or '>'", s)
	}
	if slices.Contains(strings.Split(s, "."), "") {
		return fmt.Errorf("%q has an empty token (leading, trailing or double dot)", s)
	}
	return nil
}

// isSpace reports white space and control characters.
func isSpace(r rune) bool { return r <= ' ' || r == 0x7f }
