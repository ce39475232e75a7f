package checkout

import (
	"context"
	"sync/atomic"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
)

// startWatchKey keys the context value through which the gRPC interceptor reports a start.
type startWatchKey struct{}

// WatchStarts adds to opts a gRPC interceptor that tells StartOrderAndBeginPayment whether its Update-With-Start
// started the workflow or found it running (the SDK does not expose the server's "started" flag). Dial applies it.
func WatchStarts(opts *client.Options) {
	opts.ConnectionOptions.DialOptions = append(opts.ConnectionOptions.DialOptions,
		grpc.WithChainUnaryInterceptor(reportStarted))
}

// reportStarted marks the watch in the call's context when an ExecuteMultiOperation response says it started.
func reportStarted(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	watch, _ := ctx.Value(startWatchKey{}).(*startWatch)
	multi, ok := reply.(*workflowservice.ExecuteMultiOperationResponse)
	if err != nil || watch == nil || !ok {
		return err
	}
	watch.seen.Store(true)
	for _, response := range multi.GetResponses() {
		if response.GetStartWorkflow().GetStarted() {
			watch.started.Store(true)
		}
	}
	return nil
}

// startWatch collects what the interceptor saw for one call.
type startWatch struct {
	seen, started atomic.Bool
}

// withStartWatch returns ctx carrying a fresh watch.
func withStartWatch(ctx context.Context) (context.Context, *startWatch) {
	watch := &startWatch{}
	return context.WithValue(ctx, startWatchKey{}, watch), watch
}
