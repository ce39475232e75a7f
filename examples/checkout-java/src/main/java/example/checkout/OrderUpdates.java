package example.checkout;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
import io.temporal.client.UpdateOptions;
import io.temporal.client.WithStartWorkflowOperation;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.client.WorkflowUpdateHandle;
import io.temporal.client.WorkflowUpdateStage;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.failure.TerminatedFailure;
import io.temporal.failure.TimeoutFailure;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** The parts of {@link OrderClient} that read the SDK's errors: refusals, ended runs, failed workflows. */
final class OrderUpdates {
  /** Run statuses that end an order's workflow without an outcome: nobody reverses such an order. */
  static final Set<String> ENDED_WITHOUT_OUTCOME = Set.of("FAILED", "TERMINATED", "TIMED_OUT", "CANCELED");

  private OrderUpdates() {}

  /** Update-With-Start of beginPayment, under the caller's deadline; maps refusals and closed runs. */
  static StartedPayment updateWithStart(
      OrderClient orders, OrderWorkflow order, OrderInput input, BeginPaymentDetails details, Deadline deadline) {
    String no = input.combineOutTradeNo();
    WithStartWorkflowOperation<OrderResult> start = new WithStartWorkflowOperation<>(order::run, input);
    UpdateOptions<BeginPaymentResult> options =
        UpdateOptions.<BeginPaymentResult>newBuilder().setWaitForStage(WorkflowUpdateStage.ACCEPTED).build();
    AtomicReference<Boolean> started = new AtomicReference<>();
    StartedPayment answer;
    try {
      WorkflowUpdateHandle<BeginPaymentResult> handle =
          orders
              .probe()
              .capture(started, () -> WorkflowClient.startUpdateWithStart(order::beginPayment, details, options, start));
      BeginPaymentResult payment = handle.getResult(CallDeadline.remainingMillis(deadline), TimeUnit.MILLISECONDS);
      String runId = handle.getExecution().getRunId();
      answer = new StartedPayment(OrderContract.workflowId(no), runId, Boolean.FALSE.equals(started.get()), payment);
    } catch (WorkflowUpdateException e) {
      throw new BeginPaymentRefusedException(no, reasonOf(e), e);
    } catch (RuntimeException e) {
      if (CallDeadline.timedOut(e) || !alreadyExists(e)) throw e;
      // The order's run has closed: it takes no pay call (and one that ended without an outcome is named).
      orders.existingRun(no, null);
      throw new BeginPaymentRefusedException(no, "beginPayment refused: the order has ended", e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    // The order answers its terms (lifecycle 1.1 on): attached to an order running with others, send no pay call.
    List<String> differ = OrderTerms.conflictOf(answer.payment(), input);
    if (!differ.isEmpty()) throw new OrderInputConflictException(no, differ);
    return answer;
  }

  /**
   * The terms of a run, from the input of its first history event (its start time standing for an {@code
   * orderCreatedAt} it did not name); empty when that input is no order the workflow runs. Under the caller's
   * deadline.
   */
  static Optional<OrderTerms> runTerms(WorkflowClient client, String workflowId, String runId) {
    GetWorkflowExecutionHistoryResponse history =
        client
            .getWorkflowServiceStubs()
            .blockingStub()
            .getWorkflowExecutionHistory(
                GetWorkflowExecutionHistoryRequest.newBuilder()
                    .setNamespace(client.getOptions().getNamespace())
                    .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId).setRunId(runId))
                    .setMaximumPageSize(1)
                    .build());
    if (history.getHistory().getEventsCount() == 0) return Optional.empty();
    HistoryEvent first = history.getHistory().getEvents(0);
    if (!first.hasWorkflowExecutionStartedEventAttributes()) return Optional.empty();
    Payloads input = first.getWorkflowExecutionStartedEventAttributes().getInput();
    if (input.getPayloadsCount() == 0) return Optional.empty();
    JsonNode json = OrderJson.dataConverter().fromPayload(input.getPayloads(0), JsonNode.class, JsonNode.class);
    Instant startedAt = Instant.ofEpochSecond(first.getEventTime().getSeconds(), first.getEventTime().getNanos());
    return OrderTerms.ofRunInput(json, startedAt.toString());
  }

  /** markPaid failed without a refusal: a completed order answers from its result, anything else is rethrown. */
  static MarkPaidResult markPaidOfEndedOrder(OrderClient orders, String no, RuntimeException error) {
    if (!orders.runStatusNow(no).map("COMPLETED"::equals).orElse(false)) throw error;
    OrderResult result = WorkflowStub.fromTyped(orders.order(no)).getResult(OrderResult.class);
    if (result.outcome() == OrderPhase.PAID && result.paid() != null) {
      return new MarkPaidResult(OrderPhase.PAID, result.paid().at());
    }
    throw new MarkPaidRefusedException(no, "markPaid refused: the order already ended " + result.outcome(), error);
  }

  /** The workflow's own reason for refusing an Update (its validator's message). */
  static String reasonOf(WorkflowUpdateException e) {
    Throwable cause = e.getCause();
    if (cause instanceof TemporalFailure failure) return failure.getOriginalMessage();
    return cause != null ? cause.getMessage() : e.getMessage();
  }

  /** The typed error of a failed workflow: its ApplicationFailure type, or how it ended. */
  static OrderFailedException failureOf(String no, WorkflowFailedException e) {
    Throwable cause = e.getCause();
    String type;
    if (cause instanceof ApplicationFailure af) type = af.getType();
    else if (cause instanceof TerminatedFailure) type = "TERMINATED";
    else if (cause instanceof TimeoutFailure) type = "TIMED_OUT";
    else if (cause instanceof CanceledFailure) type = "CANCELED";
    else type = cause == null ? "UNKNOWN" : cause.getClass().getSimpleName();
    String message = cause instanceof TemporalFailure f ? f.getOriginalMessage() : e.getMessage();
    return new OrderFailedException(no, type, message, e);
  }

  /** The latest run of the order's workflow, or empty when there is none. */
  static Optional<WorkflowExecutionDescription> describe(WorkflowClient client, String no) {
    try {
      return Optional.of(client.newUntypedWorkflowStub(OrderContract.workflowId(no)).describe());
    } catch (WorkflowNotFoundException e) {
      return Optional.empty();
    } catch (RuntimeException e) {
      if (hasStatus(e, Status.Code.NOT_FOUND)) return Optional.empty();
      throw e;
    }
  }

  /** Whether the start half of an Update-With-Start found the workflow id taken by a closed run. */
  private static boolean alreadyExists(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof WorkflowExecutionAlreadyStarted) return true;
    }
    return hasStatus(e, Status.Code.ALREADY_EXISTS);
  }

  private static boolean hasStatus(Throwable e, Status.Code code) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StatusRuntimeException s && s.getStatus().getCode() == code) return true;
    }
    return false;
  }
}
