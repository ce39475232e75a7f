package checkout

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"
)

// TaskQueueEnv names the environment variable holding the order workers' task queue.
const TaskQueueEnv = "TEMPORAL_TASK_QUEUE"

// Options configure a Client; every field is optional.
type Options struct {
	// TaskQueue of the order workers; default TEMPORAL_TASK_QUEUE, else DefaultTaskQueue.
	TaskQueue string
	// CallTimeout is the default deadline of each call; default ORDER_CALL_TIMEOUT, else DefaultCallTimeout.
	CallTimeout time.Duration
	// Logger receives the SDK's logs (Dial only); default the SDK's logger.
	Logger log.Logger
}

// Client drives order workflows through their public contract. It is safe for concurrent use.
type Client struct {
	temporal    client.Client
	taskQueue   string
	callTimeout time.Duration
	owned       bool
}

// Dial connects from the standard Temporal environment configuration (envconfig): TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* (mTLS), TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE (a TOML
// profile). Without any of them it reaches localhost:7233, namespace "default". Close the Client when done.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	clientOptions, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, fmt.Errorf("temporal environment configuration: %w", err)
	}
	if opts.Logger != nil {
		clientOptions.Logger = opts.Logger
	}
	WatchStarts(&clientOptions)
	temporalClient, err := client.DialContext(ctx, clientOptions)
	if err != nil {
		return nil, err
	}
	c, err := New(temporalClient, opts)
	if err != nil {
		temporalClient.Close()
		return nil, err
	}
	c.owned = true
	return c, nil
}

// New wraps a Temporal client made elsewhere (Close then leaves it open). Dial it with WatchStarts applied to its
// options so that StartOrderAndBeginPayment can tell a new start from an existing order.
func New(temporalClient client.Client, opts Options) (*Client, error) {
	timeout, err := callTimeoutSetting(opts.CallTimeout, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	queue := opts.TaskQueue
	if queue == "" {
		queue = strings.TrimSpace(os.Getenv(TaskQueueEnv))
	}
	if queue == "" {
		queue = DefaultTaskQueue
	}
	return &Client{temporal: temporalClient, taskQueue: queue, callTimeout: timeout}, nil
}

// Close closes the Temporal connection when Dial made it.
func (c *Client) Close() {
	if c.owned {
		c.temporal.Close()
	}
}

// Temporal is the underlying SDK client (for what this package does not wrap).
func (c *Client) Temporal() client.Client { return c.temporal }

// TaskQueue is the task queue orders are started on.
func (c *Client) TaskQueue() string { return c.taskQueue }

// CallTimeout is the default deadline of each call.
func (c *Client) CallTimeout() time.Duration { return c.callTimeout }
