package eventbus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// loadAWSConfig builds the SDK configuration of c: region, the default credential chain
// unless c.AWSCredentials is set, and the SDK's own retries.
func loadAWSConfig(c Config) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(c.AWSRegion)}
	if c.AWSCredentials != nil {
		opts = append(opts, awsconfig.WithCredentialsProvider(c.AWSCredentials))
	}
	// New has no context; loading reads only the environment and the shared config files,
	// credentials are fetched at the first request.
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	return cfg, nil
}

// endpoint returns c.AWSEndpointURL as an SDK option value, nil when unset.
func endpoint(c Config) *string {
	if c.AWSEndpointURL == "" {
		return nil
	}
	return aws.String(c.AWSEndpointURL)
}

// eventBridgeTransport puts each envelope on an EventBridge bus. It is safe for concurrent
// use.
type eventBridgeTransport struct {
	client *eventbridge.Client
	bus    string
	source string
}

// newEventBridgeTransport builds the eventbridge transport of c, which has been validated.
func newEventBridgeTransport(c Config, awsCfg aws.Config) *eventBridgeTransport {
	client := eventbridge.NewFromConfig(awsCfg, func(o *eventbridge.Options) {
		o.BaseEndpoint = endpoint(c)
	})
	return &eventBridgeTransport{client: client, bus: c.EventBridgeBus, source: c.Source}
}

// Name returns "eventbridge".
func (t *eventBridgeTransport) Name() string { return TransportEventBridge }

// Publish puts one entry with Source = the configured source, DetailType = the event type
// and Detail = the whole envelope. A rejected entry (FailedEntryCount > 0) is an error
// carrying EventBridge's code and message.
func (t *eventBridgeTransport) Publish(ctx context.Context, e Envelope) error {
	detail, err := json.Marshal(e)
	if err != nil {
		return permanent(fmt.Errorf("marshal event %s: %w", e.ID, err))
	}
	out, err := t.client.PutEvents(ctx, &eventbridge.PutEventsInput{
		Entries: []ebtypes.PutEventsRequestEntry{{
			EventBusName: aws.String(t.bus),
			Source:       aws.String(t.source),
			DetailType:   aws.String(e.Type),
			Detail:       aws.String(string(detail)),
			Time:         aws.Time(e.Time),
		}},
	})
	if err != nil {
		return fmt.Errorf("put event %s on eventbridge bus %q: %w", e.ID, t.bus, err)
	}
	if out.FailedEntryCount > 0 {
		code, msg := "unknown", "no entry in the answer"
		if len(out.Entries) > 0 {
			code = aws.ToString(out.Entries[0].ErrorCode)
			msg = aws.ToString(out.Entries[0].ErrorMessage)
		}
		return fmt.Errorf("put event %s on eventbridge bus %q: entry rejected: %s: %s",
			e.ID, t.bus, code, msg)
	}
	return nil
}

// sqsTransport sends each envelope to an SQS queue. It is safe for concurrent use.
type sqsTransport struct {
	client *sqs.Client
	queue  string
	fifo   bool
}

// newSQSTransport builds the sqs transport of c, which has been validated.
func newSQSTransport(c Config, awsCfg aws.Config) *sqsTransport {
	client := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		o.BaseEndpoint = endpoint(c)
	})
	return &sqsTransport{
		client: client,
		queue:  c.SQSQueueURL,
		fifo:   strings.HasSuffix(c.SQSQueueURL, ".fifo"),
	}
}

// Name returns "sqs".
func (t *sqsTransport) Name() string { return TransportSQS }

// Publish sends the envelope as the message body with the string attributes "type" and "id".
// On a FIFO queue the message group is the subject (events of one tenant stay in order) and
// the de-duplication id is the event id, so SQS drops a republication within its five
// minute window.
func (t *sqsTransport) Publish(ctx context.Context, e Envelope) error {
	body, err := json.Marshal(e)
	if err != nil {
		return permanent(fmt.Errorf("marshal event %s: %w", e.ID, err))
	}
	in := &sqs.SendMessageInput{
		QueueUrl:    aws.String(t.queue),
		MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"type": {DataType: aws.String("String"), StringValue: aws.String(e.Type)},
			"id":   {DataType: aws.String("String"), StringValue: aws.String(e.ID)},
		},
	}
	if t.fifo {
		in.MessageGroupId = aws.String(e.Subject)
		in.MessageDeduplicationId = aws.String(e.ID)
	}
	if _, err := t.client.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("send event %s to sqs: %w", e.ID, err)
	}
	return nil
}
