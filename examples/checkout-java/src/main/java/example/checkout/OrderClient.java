package example.checkout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Deadline;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.UpdateOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.client.WorkflowUpdateHandle;
import io.temporal.client.WorkflowUpdateStage;
import io.temporal.common.SearchAttributes;
import io.temporal.workflow.Functions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The checkout's client of the order workflow: start an order (alone, or with its first pay-call announcement in one
 * round trip), announce pay calls, confirm payment, read the status, cancel, wait for the result. Every call but
 * {@link #result} has a deadline (default {@code ORDER_CALL_TIMEOUT}, else 5 s; each method has an overload taking
 * its own) and throws {@link OrderNotAnsweringException} when nothing answers within it.
 *
 * <pre>{@code
 * try (OrderConnection connection = OrderConnection.fromEnvironment()) {
 *   OrderClient orders = OrderClient.fromEnvironment(connection);
 *   StartedPayment started = orders.startOrderAndBeginPayment(input, BeginPaymentDetails.attempt("a1"));
 *   // ... send the pay call; when it answers paid:
 *   orders.markPaid(input.combineOutTradeNo(), new MarkPaidDetails(transactionId, "pay-response", null));
 * }
 * }</pre>
 */
public final class OrderClient {
  private final WorkflowClient client;
  private final UpdateWithStartProbe probe;
  private final String taskQueue;
  private final Duration callTimeout;

  /**
   * A client on a connection.
   *
   * @param connection the connection
   * @param taskQueue the task queue of the product's workers
   * @param callTimeout the default deadline of every call
   */
  public OrderClient(OrderConnection connection, String taskQueue, Duration callTimeout) {
    this.client = connection.client();
    this.probe = connection.probe();
    this.taskQueue = taskQueue;
    this.callTimeout = callTimeout;
  }

  /**
   * A client with the settings of the environment: {@code TEMPORAL_TASK_QUEUE} (default {@code combine-papay}) and
   * {@code ORDER_CALL_TIMEOUT} (default 5 s).
   *
   * @param connection the connection
   * @return the client
   * @throws IllegalArgumentException when ORDER_CALL_TIMEOUT is not a duration
   */
  public static OrderClient fromEnvironment(OrderConnection connection) {
    Map<String, String> env = System.getenv();
    return new OrderClient(connection, OrderContract.taskQueue(env), DurationSetting.callTimeout(env));
  }

  /**
   * The task queue orders are started on.
   *
   * @return the task queue
   */
  public String taskQueue() {
    return taskQueue;
  }

  /**
   * The default deadline of a call.
   *
   * @return the call timeout
   */
  public Duration callTimeout() {
    return callTimeout;
  }

  /**
   * Starts the order's workflow after validating the input against the JSON Schema. Idempotent: a second start of
   * the same order (running or completed) returns it with {@code alreadyStarted}, never starting another. A running
   * order must have been started with the same input (the terms of {@link OrderTerms}, read from its first history
   * event): else this throws and the running order keeps its own.
   *
   * @param input the order
   * @return the order's workflow
   * @throws OrderInputException when the input breaks the schema (nothing started)
   * @throws OrderInputConflictException when the order runs with another input (the fields named)
   * @throws OrderRunEndedException when the order's run ended without an outcome (FAILED, TERMINATED, ...)
   */
  public StartedOrder startOrder(OrderInput input) {
    OrderInputSchema.check(input);
    return start(input, OrderSearchAttributes.of(input));
  }

  /**
   * {@link #startOrder} without the client-side validation: the workflow validates its input itself and fails with
   * {@code INVALID_ORDER_INPUT}. Sent without search attributes (the workflow sets them when the input is an order).
   * For tests of the workflow's own checks; checkouts use {@link #startOrder}.
   *
   * @param input the order
   * @return the order's workflow
   * @throws OrderInputConflictException when the order runs with another input
   * @throws OrderRunEndedException when the order's run ended without an outcome
   */
  public StartedOrder startOrderUnchecked(OrderInput input) {
    return start(input, null);
  }

  /** Starts the order with its search attributes ({@code null}: none). */
  private StartedOrder start(OrderInput input, SearchAttributes searchAttributes) {
    String no = input.combineOutTradeNo();
    String workflowId = OrderContract.workflowId(no);
    OrderWorkflow order =
        client.newWorkflowStub(
            OrderWorkflow.class,
            startOptions(workflowId, WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL, searchAttributes));
    return CallDeadline.call(
        no,
        "start",
        callTimeout,
        deadline -> {
          try {
            return new StartedOrder(workflowId, WorkflowClient.start(order::run, input).getRunId(), false);
          } catch (WorkflowExecutionAlreadyStarted e) {
            return existingRun(no, input);
          }
        });
  }

  /**
   * Starts the order's workflow (or finds it running) and announces a pay call, in one round trip
   * (Update-With-Start). Send the pay call only when this returns. The running order answers its terms with the
   * announcement (workers of lifecycle 1.1 on): when they differ from this input, this throws and no pay call may be
   * sent (an order running on an older worker answers none, and is not compared).
   *
   * @param input the order (validated against the schema first)
   * @param details what the pay call carries, for the record (may be null)
   * @return the order's workflow and the announcement's answer
   * @throws OrderInputException when the input breaks the schema (nothing started)
   * @throws OrderInputConflictException when the order runs with another input: do not send the pay call
   * @throws BeginPaymentRefusedException when the order takes no pay call (reversal begun, paid, ended)
   * @throws OrderRunEndedException when its run ended without an outcome
   * @throws OrderNotAnsweringException when no worker answered in time: do not send the pay call; retry
   */
  public StartedPayment startOrderAndBeginPayment(OrderInput input, BeginPaymentDetails details) {
    return startOrderAndBeginPayment(input, details, callTimeout);
  }

  /**
   * {@link #startOrderAndBeginPayment(OrderInput, BeginPaymentDetails)} with its own deadline.
   *
   * @param input the order
   * @param details what the pay call carries (may be null)
   * @param timeout the deadline of this call
   * @return the order's workflow and the announcement's answer
   */
  public StartedPayment startOrderAndBeginPayment(OrderInput input, BeginPaymentDetails details, Duration timeout) {
    OrderInputSchema.check(input);
    String no = input.combineOutTradeNo();
    String workflowId = OrderContract.workflowId(no);
    OrderWorkflow order =
        client.newWorkflowStub(
            OrderWorkflow.class,
            startOptions(
                workflowId,
                WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
                OrderSearchAttributes.of(input)));
    return CallDeadline.call(
        no,
        OrderContract.BEGIN_PAYMENT,
        timeout,
        deadline -> OrderUpdates.updateWithStart(this, order, input, orEmpty(details), deadline));
  }

  /**
   * Announces a pay call: call it right before each pay call to WeChat Pay, and send the pay call only if it returns.
   *
   * @param combineOutTradeNo the order
   * @param details what the pay call carries, for the record (may be null)
   * @return until when no reverse is sent, and how many pay calls were announced
   * @throws BeginPaymentRefusedException once the reversal has begun, the order is paid or it has ended
   * @throws OrderNotAnsweringException when no worker answered in time: do not send the pay call; retry
   */
  public BeginPaymentResult beginPayment(String combineOutTradeNo, BeginPaymentDetails details) {
    return beginPayment(combineOutTradeNo, details, callTimeout);
  }

  /**
   * {@link #beginPayment(String, BeginPaymentDetails)} with its own deadline.
   *
   * @param combineOutTradeNo the order
   * @param details what the pay call carries (may be null)
   * @param timeout the deadline of this call
   * @return the announcement's answer
   */
  public BeginPaymentResult beginPayment(String combineOutTradeNo, BeginPaymentDetails details, Duration timeout) {
    OrderWorkflow order = order(combineOutTradeNo);
    return CallDeadline.call(
        combineOutTradeNo,
        OrderContract.BEGIN_PAYMENT,
        timeout,
        deadline -> {
          try {
            return update(order::beginPayment, orEmpty(details), deadline);
          } catch (WorkflowUpdateException e) {
            throw new BeginPaymentRefusedException(combineOutTradeNo, OrderUpdates.reasonOf(e), e);
          } catch (RuntimeException e) {
            if (CallDeadline.timedOut(e)) throw e;
            Optional<String> status = runStatusNow(combineOutTradeNo);
            if (status.isEmpty() || status.get().equals("RUNNING")) throw e;
            throw new BeginPaymentRefusedException(
                combineOutTradeNo, "beginPayment refused: the order has ended (" + status.get() + ")", e);
          }
        });
  }

  /**
   * Confirms the order paid. Idempotent: confirming an order that already ended PAID answers as the first time did.
   *
   * @param combineOutTradeNo the order
   * @param details the pay call's answer, for the record (may be null)
   * @return PAID and when
   * @throws MarkPaidRefusedException once the reversal has begun (any money taken comes back through the reverse)
   * @throws OrderNotAnsweringException when no worker answered in time; retry
   */
  public MarkPaidResult markPaid(String combineOutTradeNo, MarkPaidDetails details) {
    return markPaid(combineOutTradeNo, details, callTimeout);
  }

  /**
   * {@link #markPaid(String, MarkPaidDetails)} with its own deadline.
   *
   * @param combineOutTradeNo the order
   * @param details the pay call's answer (may be null)
   * @param timeout the deadline of this call
   * @return PAID and when
   */
  public MarkPaidResult markPaid(String combineOutTradeNo, MarkPaidDetails details, Duration timeout) {
    OrderWorkflow order = order(combineOutTradeNo);
    MarkPaidDetails sent = details == null ? new MarkPaidDetails(null, null, null) : details;
    return CallDeadline.call(
        combineOutTradeNo,
        OrderContract.MARK_PAID,
        timeout,
        deadline -> {
          try {
            return update(order::markPaid, sent, deadline);
          } catch (WorkflowUpdateException e) {
            throw new MarkPaidRefusedException(combineOutTradeNo, OrderUpdates.reasonOf(e), e);
          } catch (RuntimeException e) {
            if (CallDeadline.timedOut(e)) throw e;
            return OrderUpdates.markPaidOfEndedOrder(this, combineOutTradeNo, e);
          }
        });
  }

  /**
   * The order's current status (finished orders too, while their history is retained).
   *
   * @param combineOutTradeNo the order
   * @return the status
   * @throws OrderNotAnsweringException when no worker answered in time
   */
  public OrderStatus orderStatus(String combineOutTradeNo) {
    return orderStatus(combineOutTradeNo, callTimeout);
  }

  /**
   * {@link #orderStatus(String)} with its own deadline.
   *
   * @param combineOutTradeNo the order
   * @param timeout the deadline of this call
   * @return the status
   */
  public OrderStatus orderStatus(String combineOutTradeNo, Duration timeout) {
    OrderWorkflow order = order(combineOutTradeNo);
    return CallDeadline.call(combineOutTradeNo, OrderContract.STATUS, timeout, deadline -> order.status());
  }

  /**
   * Abandons the order: it is reconciled and reversed now (once the last pay call's window has closed).
   *
   * @param combineOutTradeNo the order
   * @param reason why, shown in the status (may be null)
   */
  public void cancelOrder(String combineOutTradeNo, String reason) {
    OrderWorkflow order = order(combineOutTradeNo);
    CallDeadline.call(
        combineOutTradeNo,
        OrderContract.CANCEL_ORDER,
        callTimeout,
        deadline -> {
          order.cancelOrder(reason);
          return null;
        });
  }

  /**
   * Operator: in NEEDS_ATTENTION, drive the failed step again (ignored, and recorded, in any other phase).
   *
   * @param combineOutTradeNo the order
   */
  public void retryOrder(String combineOutTradeNo) {
    OrderWorkflow order = order(combineOutTradeNo);
    CallDeadline.call(
        combineOutTradeNo,
        OrderContract.RETRY,
        callTimeout,
        deadline -> {
          order.retry();
          return null;
        });
  }

  /**
   * Operator: in NEEDS_ATTENTION, close the order as handled by hand. Nothing is compensated by the workflow
   * afterwards.
   *
   * @param combineOutTradeNo the order
   * @param note what was done (required)
   */
  public void resolveOrder(String combineOutTradeNo, String note) {
    if (note == null || note.isBlank()) throw new IllegalArgumentException("resolve needs a note saying what was done");
    OrderWorkflow order = order(combineOutTradeNo);
    CallDeadline.call(
        combineOutTradeNo,
        OrderContract.RESOLVE,
        callTimeout,
        deadline -> {
          order.resolve(note);
          return null;
        });
  }

  /**
   * Waits for the order's result (no deadline: an order may take its whole payment timeout).
   *
   * @param combineOutTradeNo the order
   * @return the result
   * @throws OrderFailedException when the workflow failed (e.g. {@code INVALID_ORDER_INPUT})
   */
  public OrderResult result(String combineOutTradeNo) {
    try {
      return OrderJson.MAPPER.treeToValue(resultJson(combineOutTradeNo), OrderResult.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the workflow's result is not an OrderResult", e);
    }
  }

  /**
   * Waits for the order's result as the workflow returned it, every field included (to log or forward it).
   *
   * @param combineOutTradeNo the order
   * @return the result's JSON
   * @throws OrderFailedException when the workflow failed
   */
  public JsonNode resultJson(String combineOutTradeNo) {
    WorkflowStub stub = client.newUntypedWorkflowStub(OrderContract.workflowId(combineOutTradeNo));
    try {
      return stub.getResult(JsonNode.class);
    } catch (WorkflowFailedException e) {
      throw OrderUpdates.failureOf(combineOutTradeNo, e);
    }
  }

  /**
   * The status of the order's latest run: RUNNING, COMPLETED, FAILED, TERMINATED, TIMED_OUT, CANCELED...
   *
   * @param combineOutTradeNo the order
   * @return the run status, or empty when the order has no workflow
   */
  public Optional<String> runStatus(String combineOutTradeNo) {
    return CallDeadline.call(combineOutTradeNo, "describe", callTimeout, deadline -> runStatusNow(combineOutTradeNo));
  }

  /** The run status, under the caller's deadline. */
  Optional<String> runStatusNow(String combineOutTradeNo) {
    return OrderUpdates.describe(client, combineOutTradeNo)
        .map(d -> d.getStatus().name().replace("WORKFLOW_EXECUTION_STATUS_", ""));
  }

  /**
   * The order's existing run; throws {@link OrderRunEndedException} when it ended without an outcome, and {@link
   * OrderInputConflictException} when it is running with other terms than {@code input} (null: not compared).
   */
  StartedOrder existingRun(String combineOutTradeNo, OrderInput input) {
    String workflowId = OrderContract.workflowId(combineOutTradeNo);
    var description =
        OrderUpdates.describe(client, combineOutTradeNo)
            .orElseThrow(() -> new IllegalStateException("order " + combineOutTradeNo + " has no workflow"));
    String status = description.getStatus().name().replace("WORKFLOW_EXECUTION_STATUS_", "");
    if (OrderUpdates.ENDED_WITHOUT_OUTCOME.contains(status)) {
      throw new OrderRunEndedException(combineOutTradeNo, workflowId, status);
    }
    String runId = description.getExecution().getRunId();
    if (input != null && status.equals("RUNNING")) {
      List<String> differ =
          OrderUpdates.runTerms(client, workflowId, runId)
              .map(running -> OrderTerms.differences(running, OrderTerms.of(input), input.orderCreatedAt() != null))
              .orElse(List.of());
      if (!differ.isEmpty()) throw new OrderInputConflictException(combineOutTradeNo, differ);
    }
    return new StartedOrder(workflowId, runId, true);
  }

  /** The typed stub of an existing order. */
  OrderWorkflow order(String combineOutTradeNo) {
    return client.newWorkflowStub(OrderWorkflow.class, OrderContract.workflowId(combineOutTradeNo));
  }

  /** The probe telling whether an Update-With-Start started its workflow. */
  UpdateWithStartProbe probe() {
    return probe;
  }

  private WorkflowOptions startOptions(
      String workflowId, WorkflowIdConflictPolicy conflictPolicy, SearchAttributes searchAttributes) {
    WorkflowOptions.Builder options =
        WorkflowOptions.newBuilder()
            .setWorkflowId(workflowId)
            .setTaskQueue(taskQueue)
            .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
            .setWorkflowIdConflictPolicy(conflictPolicy);
    if (searchAttributes != null) options.setTypedSearchAttributes(searchAttributes);
    return options.build();
  }

  /**
   * Sends an Update and waits for its result until the deadline: the SDK's own wait for a completed Update has no
   * deadline, so this waits for the Update to be accepted (under the call's context deadline), then for its result
   * for the time left.
   */
  static <A, R> R update(Functions.Func1<A, R> method, A argument, Deadline deadline) {
    UpdateOptions<R> options = UpdateOptions.<R>newBuilder().setWaitForStage(WorkflowUpdateStage.ACCEPTED).build();
    WorkflowUpdateHandle<R> handle = WorkflowClient.startUpdate(method, argument, options);
    return handle.getResult(CallDeadline.remainingMillis(deadline), TimeUnit.MILLISECONDS);
  }

  private static BeginPaymentDetails orEmpty(BeginPaymentDetails details) {
    return details == null ? new BeginPaymentDetails(null, null) : details;
  }
}
