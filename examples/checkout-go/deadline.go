package checkout

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// CallOption adjusts one call.
type CallOption func(*callSettings)

type callSettings struct {
	timeout time.Duration
}

// WithTimeout gives the call its own deadline instead of the Client's CallTimeout (a deadline already on the
// call's context is used when no WithTimeout is given).
func WithTimeout(d time.Duration) CallOption {
	return func(s *callSettings) { s.timeout = d }
}

// callContext is ctx under the call's deadline: WithTimeout, else ctx's own deadline, else the Client's default.
func (c *Client) callContext(ctx context.Context, opts []CallOption) (context.Context, context.CancelFunc, time.Duration) {
	var settings callSettings
	for _, opt := range opts {
		opt(&settings)
	}
	if settings.timeout > 0 {
		derived, cancel := context.WithTimeout(ctx, settings.timeout)
		return derived, cancel, settings.timeout
	}
	if deadline, ok := ctx.Deadline(); ok {
		derived, cancel := context.WithCancel(ctx)
		return derived, cancel, time.Until(deadline).Round(time.Millisecond)
	}
	derived, cancel := context.WithTimeout(ctx, c.callTimeout)
	return derived, cancel, c.callTimeout
}

// callError turns a call that ran out of time into *OrderNotAnsweringError; other errors pass unchanged.
func (c *Client) callError(ctx context.Context, order, call string, timeout time.Duration, err error) error {
	if err == nil || !timedOut(ctx, err) {
		return err
	}
	var typed *OrderNotAnsweringError
	if errors.As(err, &typed) {
		return err
	}
	return &OrderNotAnsweringError{CombineOutTradeNo: order, Call: call, Timeout: timeout, Cause: err}
}

// timedOut tells whether err is the call's deadline passing (the context's, the SDK's Update timeout, or gRPC's),
// not a cancellation by the caller.
func timedOut(ctx context.Context, err error) bool {
	if errors.Is(ctx.Err(), context.Canceled) {
		return false
	}
	var updateTimeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	var deadline *serviceerror.DeadlineExceeded
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(ctx.Err(), context.DeadlineExceeded) ||
		errors.As(err, &updateTimeout) ||
		errors.As(err, &deadline) ||
		status.Code(err) == codes.DeadlineExceeded
}
