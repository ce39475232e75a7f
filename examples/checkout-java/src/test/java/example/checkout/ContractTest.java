package example.checkout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.Status;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contract's names, the typed answers (unknown fields and phases tolerated) and the call deadline. */
class ContractTest {
  @Test
  void namesTheWorkflowAndItsMessagesAsTheContractDoes() throws Exception {
    assertEquals("combine-papay-J1", OrderContract.workflowId("J1"));
    assertEquals("combine-papay", OrderContract.taskQueue(Map.of()));
    assertEquals("q1", OrderContract.taskQueue(Map.of("TEMPORAL_TASK_QUEUE", "q1")));
    Class<OrderWorkflow> stub = OrderWorkflow.class;
    assertEquals("combinePapayOrderWorkflow", stub.getMethod("run", OrderInput.class).getAnnotation(WorkflowMethod.class).name());
    assertEquals("beginPayment", stub.getMethod("beginPayment", BeginPaymentDetails.class).getAnnotation(UpdateMethod.class).name());
    assertEquals("markPaid", stub.getMethod("markPaid", MarkPaidDetails.class).getAnnotation(UpdateMethod.class).name());
    assertEquals("status", stub.getMethod("status").getAnnotation(QueryMethod.class).name());
    assertEquals("cancelOrder", stub.getMethod("cancelOrder", String.class).getAnnotation(SignalMethod.class).name());
    assertEquals("retry", stub.getMethod("retry").getAnnotation(SignalMethod.class).name());
    assertEquals("resolve", stub.getMethod("resolve", String.class).getAnnotation(SignalMethod.class).name());
  }

  @Test
  void readsAStatusIgnoringWhatItDoesNotKnow() throws Exception {
    String json =
        "{\"combineOutTradeNo\":\"J1\",\"phase\":\"SOMETHING_NEW\",\"deadline\":\"2026-12-03T08:15:21.183Z\","
            + "\"newField\":{\"x\":1},\"payments\":{\"count\":2,\"lastAt\":\"2026-12-03T08:13:21.100Z\",\"extra\":true},"
            + "\"reverse\":{\"state\":\"NOT_STARTED\",\"rounds\":0,\"queries\":[]},"
            + "\"subOrders\":[{\"outTradeNo\":\"J1S1\",\"mchid\":\"1\",\"subMchid\":\"2\",\"compensation\":\"LATER\"}]}";
    OrderStatus status = OrderJson.MAPPER.readValue(json, OrderStatus.class);
    assertEquals(OrderPhase.UNKNOWN, status.phase());
    assertEquals(2, status.payments().count());
    assertEquals(Instant.parse("2026-12-03T08:13:21.100Z"), status.payments().lastAt());
    assertEquals(CompensationState.UNKNOWN, status.subOrders().get(0).compensation());
    assertNull(status.paid());
    assertEquals(OrderPhase.PAID, OrderJson.MAPPER.readValue("{\"phase\":\"PAID\",\"paidAt\":\"2026-12-03T08:13:21.247Z\"}", MarkPaidResult.class).phase());
    // Times print as ISO-8601 text.
    assertTrue(OrderJson.write(status).contains("\"lastAt\":\"2026-12-03T08:13:21.100Z\""), OrderJson.write(status));
    assertTrue(OrderPhase.REVERSED.isFinal());
  }

  @Test
  void runsACallUnderAContextDeadline() {
    Context before = Context.current();
    Duration left =
        CallDeadline.call("J1", "status", Duration.ofSeconds(2), deadline -> {
          assertNotNull(Context.current().getDeadline());
          return Duration.ofMillis(CallDeadline.remainingMillis(deadline));
        });
    assertTrue(left.toMillis() > 1000 && left.toMillis() <= 2000, left.toString());
    assertEquals(before, Context.current());
  }

  @Test
  void turnsATimeoutIntoOrderNotAnswering() {
    OrderNotAnsweringException e =
        assertThrows(
            OrderNotAnsweringException.class,
            () -> CallDeadline.call("J1", "beginPayment", Duration.ofMillis(1000), deadline -> {
              throw new RuntimeException(Status.DEADLINE_EXCEEDED.asRuntimeException());
            }));
    assertEquals("beginPayment", e.call());
    assertEquals(
        "no worker answered beginPayment for order J1 within 1000 ms (is a worker polling the task queue, and is the"
            + " Temporal service reachable?); do not send the pay call; retry",
        e.getMessage());
    assertTrue(CallDeadline.timedOut(new java.util.concurrent.TimeoutException()));
    assertTrue(!CallDeadline.timedOut(Status.NOT_FOUND.asRuntimeException()));
    IllegalStateException other =
        assertThrows(IllegalStateException.class, () -> CallDeadline.call("J1", "status", Duration.ofSeconds(1), d -> {
          throw new IllegalStateException("other");
        }));
    assertEquals("other", other.getMessage());
  }
}
