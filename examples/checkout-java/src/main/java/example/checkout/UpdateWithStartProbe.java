package example.checkout;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.temporal.api.workflowservice.v1.ExecuteMultiOperationResponse;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Tells whether an Update-With-Start started the workflow or sent the Update to a running one. The server says so
 * ({@code StartWorkflowExecutionResponse.started}) but the Java SDK does not pass it on; this gRPC interceptor reads
 * it from the answer of the calls made inside {@link #capture}. Registered on the service stubs by {@link
 * OrderConnection}.
 */
public final class UpdateWithStartProbe implements ClientInterceptor {
  private static final Context.Key<AtomicReference<Boolean>> SLOT = Context.key("order-update-with-start-started");

  /**
   * Runs {@code call}, recording in {@code started} whether an Update-With-Start made by it started the workflow.
   *
   * @param started set to true (started) or false (already running); left null when no answer was seen
   * @param call the call
   * @param <T> its answer
   * @return its answer
   * @throws Exception what the call throws
   */
  public <T> T capture(AtomicReference<Boolean> started, Callable<T> call) throws Exception {
    return Context.current().withValue(SLOT, started).call(call);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
    AtomicReference<Boolean> slot = SLOT.get();
    ClientCall<ReqT, RespT> call = next.newCall(method, options);
    if (slot == null
        || !method.getFullMethodName().equals(WorkflowServiceGrpc.getExecuteMultiOperationMethod().getFullMethodName())) {
      return call;
    }
    return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
      @Override
      public void start(Listener<RespT> listener, Metadata headers) {
        super.start(
            new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onMessage(RespT message) {
                if (message instanceof ExecuteMultiOperationResponse response
                    && response.getResponsesCount() > 0
                    && response.getResponses(0).hasStartWorkflow()) {
                  slot.set(response.getResponses(0).getStartWorkflow().getStarted());
                }
                super.onMessage(message);
              }
            },
            headers);
      }
    };
  }
}
