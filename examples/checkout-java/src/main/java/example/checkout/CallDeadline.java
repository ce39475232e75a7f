package example.checkout;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowUpdateTimeoutOrCancelledException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Runs a call to an order under a deadline. An Update or Query waits for a worker, and without a deadline it waits for
 * ever when none polls. The SDK's client has no per-call timeout for them, so the call runs inside a gRPC {@link
 * Context} with a deadline: every RPC made from the calling thread (and the SDK's retries of it) stops at that
 * deadline. Timeouts become {@link OrderNotAnsweringException}.
 */
public final class CallDeadline {
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "order-call-deadline");
            thread.setDaemon(true);
            return thread;
          });

  private CallDeadline() {}

  /**
   * Runs {@code call} with a deadline {@code timeout} from now.
   *
   * @param combineOutTradeNo the order (for the error)
   * @param callName the call (for the error), e.g. {@code beginPayment}
   * @param timeout how long the call may take
   * @param call the call; it receives the deadline, e.g. to bound a wait for an Update's result
   * @param <T> the call's answer
   * @return the call's answer
   * @throws OrderNotAnsweringException when nothing answered in time
   */
  public static <T> T call(
      String combineOutTradeNo, String callName, Duration timeout, Function<Deadline, T> call) {
    Deadline deadline = Deadline.after(timeout.toMillis(), TimeUnit.MILLISECONDS);
    Context.CancellableContext context = Context.current().withDeadline(deadline, TIMER);
    try {
      return context.call(() -> call.apply(deadline));
    } catch (RuntimeException e) {
      if (timedOut(e)) throw new OrderNotAnsweringException(combineOutTradeNo, callName, timeout, e);
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      context.cancel(null);
    }
  }

  /**
   * Milliseconds left before the deadline (at least 1, so a wait never means "for ever").
   *
   * @param deadline the deadline
   * @return the time left
   */
  public static long remainingMillis(Deadline deadline) {
    return Math.max(1, deadline.timeRemaining(TimeUnit.MILLISECONDS));
  }

  /**
   * Whether an error, or any of its causes, is a call that ran out of time.
   *
   * @param error the error
   * @return true for a gRPC DEADLINE_EXCEEDED or CANCELLED, the SDK's Update timeout, or a {@link TimeoutException}
   */
  public static boolean timedOut(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof WorkflowUpdateTimeoutOrCancelledException || t instanceof TimeoutException) return true;
      if (t instanceof StatusRuntimeException s) {
        Status.Code code = s.getStatus().getCode();
        if (code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.CANCELLED) return true;
      }
    }
    return false;
  }
}
