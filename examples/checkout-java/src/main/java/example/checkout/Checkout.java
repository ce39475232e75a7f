package example.checkout;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowException;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A checkout service's side of a WeChat Pay combined withholding order, written against the order workflow's public
 * contract only (workflow type, task queue, workflow id, plain JSON input, Updates, Query): no code is shared with the
 * TypeScript project.
 *
 * <pre>
 *   java -jar target/checkout-java.jar pay     '&lt;order JSON&gt;'   start, beginPayment, pay call (simulated: paid), markPaid
 *   java -jar target/checkout-java.jar timeout '&lt;order JSON&gt;'   start, beginPayment, pay call (simulated: no answer);
 *                                                          after the deadline a second beginPayment and a late
 *                                                          markPaid are both refused
 *   java -jar target/checkout-java.jar start   '&lt;order JSON&gt;'   start only
 * </pre>
 *
 * Every mode then reads the {@code status} Query and waits for the workflow's result. The order JSON may be given as
 * {@code @file.json}. Connection: {@code TEMPORAL_ADDRESS} (default {@code localhost:7233}), {@code
 * TEMPORAL_NAMESPACE} ({@code default}), {@code TEMPORAL_TASK_QUEUE} ({@code combine-papay}).
 *
 * <p>Output, one machine-readable line per step: {@code STARTED|ALREADY_STARTED {json}}, {@code BEGIN_PAYMENT
 * {json}}, {@code PAY_CALL {json}}, {@code MARK_PAID {json}}, {@code REFUSED <update>: <reason>}, {@code PHASE
 * <phase>}, {@code STATUS {json}}, then {@code RESULT {json}} (exit 0) or {@code FAILED <type>: <message>} (exit 2).
 */
public final class Checkout {
  /** Workflow type name (contract). */
  static final String WORKFLOW_TYPE = "combinePapayOrderWorkflow";

  private static final Set<String> MODES = Set.of("pay", "timeout", "start");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final WorkflowClient client;
  private final String taskQueue;

  Checkout(WorkflowClient client, String taskQueue) {
    this.client = client;
    this.taskQueue = taskQueue;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2 || !MODES.contains(args[0])) {
      System.err.println("usage: java -jar checkout-java.jar pay|timeout|start '<order JSON>'|@order.json");
      System.exit(64);
    }
    String text = args[1].startsWith("@") ? Files.readString(Path.of(args[1].substring(1))) : args[1];
    // A plain Map: the SDK's Jackson converter sends it as the plain JSON object the workflow expects.
    Map<String, Object> input = JSON.readValue(text, new TypeReference<Map<String, Object>>() {});

    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget(env("TEMPORAL_ADDRESS", "localhost:7233"))
                .build());
    int exitCode;
    try {
      WorkflowClient client =
          WorkflowClient.newInstance(
              service,
              WorkflowClientOptions.newBuilder()
                  .setNamespace(env("TEMPORAL_NAMESPACE", "default"))
                  .build());
      exitCode = new Checkout(client, env("TEMPORAL_TASK_QUEUE", "combine-papay")).run(args[0], input);
    } finally {
      service.shutdown();
    }
    System.exit(exitCode);
  }

  int run(String mode, Map<String, Object> input) throws Exception {
    WorkflowStub order = start(input);
    if (mode.equals("pay") && beginPayment(order, "attempt-1")) {
      // The pay call (WeChat Pay's combined withholding API) is simulated: it answers paid.
      String transactionId = "42000000" + System.currentTimeMillis();
      emit("PAY_CALL", Map.of("answer", "SUCCESS", "transactionId", transactionId));
      markPaid(order, Map.of("transactionId", transactionId, "source", "pay-response"));
    } else if (mode.equals("timeout") && beginPayment(order, "attempt-1")) {
      // The pay call's answer is lost: the checkout does not know whether money moved, so it does not call
      // markPaid. The workflow's deadline decides; it reconciles with WeChat Pay and reverses.
      emit("PAY_CALL", Map.of("answer", "TIMEOUT"));
      awaitReversal(order);
      // A retry of the pay call now must not be sent, and a late confirmation cannot win over the reversal.
      if (beginPayment(order, "attempt-2")) {
        throw new IllegalStateException("beginPayment was accepted after the reversal began");
      }
      markPaid(order, Map.of("source", "late-query"));
    }
    status(order);
    return result(order);
  }

  /** Starts the order's workflow, or joins the one already started for this order (idempotent start). */
  WorkflowStub start(Map<String, Object> input) {
    String workflowId = "combine-papay-" + input.get("combineOutTradeNo");
    WorkflowOptions options =
        WorkflowOptions.newBuilder()
            .setWorkflowId(workflowId)
            .setTaskQueue(taskQueue)
            .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
            .build();
    WorkflowStub order = client.newUntypedWorkflowStub(WORKFLOW_TYPE, options);
    try {
      WorkflowExecution run = order.start(input);
      emit("STARTED", Map.of("workflowId", workflowId, "runId", run.getRunId()));
      return order;
    } catch (WorkflowExecutionAlreadyStarted e) {
      emit("ALREADY_STARTED", Map.of("workflowId", workflowId));
      return client.newUntypedWorkflowStub(workflowId, Optional.empty(), Optional.of(WORKFLOW_TYPE));
    }
  }

  /** Announces a pay call; returns true when it may be sent. */
  boolean beginPayment(WorkflowStub order, String attemptId) {
    try {
      emit("BEGIN_PAYMENT", order.update("beginPayment", JsonNode.class, Map.of("attemptId", attemptId)));
      return true;
    } catch (WorkflowUpdateException e) {
      refused("beginPayment", reason(e));
      return false;
    } catch (WorkflowException e) {
      refused("beginPayment", "the order has ended (" + endedStatus(order, e) + ")");
      return false;
    }
  }

  /** Confirms the order paid; returns true when the workflow accepted it. */
  boolean markPaid(WorkflowStub order, Map<String, String> details) {
    try {
      emit("MARK_PAID", order.update("markPaid", JsonNode.class, details));
      return true;
    } catch (WorkflowUpdateException e) {
      refused("markPaid", reason(e));
      return false;
    } catch (WorkflowException e) {
      refused("markPaid", "the order has ended (" + endedStatus(order, e) + ")");
      return false;
    }
  }

  /** Polls the status Query until the order leaves AWAITING_PAYMENT (its deadline passed). */
  void awaitReversal(WorkflowStub order) throws InterruptedException {
    Instant until = Instant.now().plus(Duration.ofMinutes(5));
    while (Instant.now().isBefore(until)) {
      String phase = order.query("status", JsonNode.class).path("phase").asText();
      if (!phase.equals("AWAITING_PAYMENT")) {
        System.out.println("PHASE " + phase);
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("the order did not leave AWAITING_PAYMENT within 5 minutes");
  }

  void status(WorkflowStub order) {
    try {
      emit("STATUS", order.query("status", JsonNode.class));
    } catch (WorkflowException e) {
      // A workflow that failed at once (bad input) never installed its query handler.
      System.out.println("STATUS_UNAVAILABLE " + message(e));
    }
  }

  /** Waits for the result; a failed workflow (e.g. INVALID_ORDER_INPUT) prints its failure type and exits 2. */
  int result(WorkflowStub order) {
    try {
      emit("RESULT", order.getResult(JsonNode.class));
      return 0;
    } catch (WorkflowFailedException e) {
      Throwable cause = e.getCause();
      String type = cause instanceof ApplicationFailure af ? af.getType() : cause.getClass().getSimpleName();
      System.out.println("FAILED " + type + ": " + message(cause));
      return 2;
    }
  }

  /** The workflow's own reason for refusing an Update (its validator's message). */
  private static String reason(WorkflowUpdateException e) {
    return e.getCause() != null ? message(e.getCause()) : e.getMessage();
  }

  private static String message(Throwable t) {
    return t instanceof TemporalFailure f ? f.getOriginalMessage() : t.getMessage();
  }

  /** The run status of an order whose Update failed for another reason than a refusal; rethrows if it runs. */
  private static String endedStatus(WorkflowStub order, RuntimeException cause) {
    String status;
    try {
      status = order.describe().getStatus().name().replace("WORKFLOW_EXECUTION_STATUS_", "");
    } catch (RuntimeException ignored) {
      throw cause;
    }
    if (status.equals("RUNNING")) throw cause;
    return status;
  }

  private static void refused(String update, String reason) {
    System.out.println("REFUSED " + update + ": " + reason);
  }

  private static void emit(String tag, Object value) {
    try {
      System.out.println(tag + " " + JSON.writeValueAsString(value));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }
}
