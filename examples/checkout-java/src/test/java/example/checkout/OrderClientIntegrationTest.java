package example.checkout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The template against a real worker: runs only when {@code TEMPORAL_TASK_QUEUE} names the queue the product's
 * worker polls, and connects exactly as the template does (the Temporal environment configuration).
 */
@EnabledIfEnvironmentVariable(
    named = "TEMPORAL_TASK_QUEUE",
    matches = ".+",
    disabledReason = "integration tests need a worker: set TEMPORAL_TASK_QUEUE (and TEMPORAL_ADDRESS...)")
class OrderClientIntegrationTest {
  private static OrderConnection connection;
  private static OrderClient orders;

  @BeforeAll
  static void connect() throws Exception {
    connection = OrderConnection.fromEnvironment();
    orders = OrderClient.fromEnvironment(connection);
  }

  @AfterAll
  static void close() {
    if (connection != null) connection.close();
  }

  /** A unique order number: prefix, time and a random part (at most 32 characters). */
  private static String orderNo(String prefix) {
    return prefix + System.currentTimeMillis() + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
  }

  /** An order whose deadline falls {@code dueIn} from now: created 20 s ago, pay window 2 s. */
  static OrderInput order(String prefix, Duration dueIn) {
    String no = orderNo(prefix);
    List<SubOrder> subOrders =
        IntStream.rangeClosed(1, 2)
            .mapToObj(i -> new SubOrder("1900000109", no.substring(0, Math.min(28, no.length())) + "S" + i, "190000000" + i))
            .toList();
    return OrderInput.of(no, "wxd678efh567hg6787", subOrders)
        .withPaymentTimeout(DurationValue.ofMillis(20_000 + dueIn.toMillis()))
        .withOrderCreatedAt(Instant.now().minusSeconds(20).toString())
        .withPayWindow(DurationValue.of("2s"));
  }

  private static void terminate(String no) {
    connection.client().newUntypedWorkflowStub(OrderContract.workflowId(no)).terminate("integration test cleanup");
  }

  @Test
  void updateWithStartThenMarkPaidEndsPaid() {
    OrderInput input = order("JIP", Duration.ofSeconds(60));
    String no = input.combineOutTradeNo();
    StartedPayment started = orders.startOrderAndBeginPayment(input, BeginPaymentDetails.attempt("a1"));
    assertFalse(started.alreadyStarted());
    assertEquals(OrderContract.workflowId(no), started.workflowId());
    assertEquals(1, started.payment().payments());
    assertNotNull(started.payment().reverseNotBefore());

    MarkPaidResult paid = orders.markPaid(no, new MarkPaidDetails("4200000001", "pay-response", null));
    assertEquals(OrderPhase.PAID, paid.phase());
    OrderStatus status = orders.orderStatus(no);
    assertEquals(OrderPhase.PAID, status.phase());
    assertEquals(1, status.payments().count());
    assertEquals(2, status.subOrders().size());

    OrderResult result = orders.result(no);
    assertEquals(OrderPhase.PAID, result.outcome());
    assertEquals(no, result.combineOutTradeNo());
    assertEquals("MARK_PAID", result.paid().source());
    assertEquals("4200000001", result.paid().details().transactionId());
    assertEquals(result.paid().at(), paid.paidAt());

    // The order has ended: another Update-With-Start is refused, a repeated markPaid answers as the first did.
    BeginPaymentRefusedException refused =
        assertThrows(BeginPaymentRefusedException.class, () -> orders.startOrderAndBeginPayment(input, null));
    assertTrue(refused.getMessage().contains("has ended"), refused.getMessage());
    assertEquals(paid, orders.markPaid(no, null));
    assertThrows(BeginPaymentRefusedException.class, () -> orders.beginPayment(no, null));
  }

  @Test
  void startingTwiceJoinsTheOrderAndAnEndedRunIsNamed() {
    OrderInput input = order("JIS", Duration.ofSeconds(60));
    String no = input.combineOutTradeNo();
    StartedOrder first = orders.startOrder(input);
    assertFalse(first.alreadyStarted());
    StartedOrder again = orders.startOrder(input);
    assertTrue(again.alreadyStarted());
    assertEquals(first.runId(), again.runId());
    StartedPayment joined = orders.startOrderAndBeginPayment(input, BeginPaymentDetails.attempt("a1"));
    assertTrue(joined.alreadyStarted());
    assertEquals(first.runId(), joined.runId());

    terminate(no);
    OrderRunEndedException ended = assertThrows(OrderRunEndedException.class, () -> orders.startOrder(input));
    assertEquals("TERMINATED", ended.runStatus());
    assertThrows(OrderRunEndedException.class, () -> orders.startOrderAndBeginPayment(input, null));
    OrderFailedException failed = assertThrows(OrderFailedException.class, () -> orders.result(no));
    assertEquals("TERMINATED", failed.failureType());
  }

  /** The same order with other terms: another app id, one sub-order fewer, another pay window. */
  private static OrderInput otherTerms(OrderInput input) {
    return new OrderInput(input.combineOutTradeNo(), "wx0000000000000000", input.subOrders().subList(0, 1),
        input.paymentTimeout(), input.orderCreatedAt(), DurationValue.of("3s"), null, null);
  }

  @Test
  void aStartThatFindsTheOrderRunningWithAnotherInputIsRefused() {
    OrderInput input = order("JIC", Duration.ofMinutes(10));
    String no = input.combineOutTradeNo();
    StartedOrder first = orders.startOrder(input);
    try {
      OrderInputConflictException conflict =
          assertThrows(OrderInputConflictException.class, () -> orders.startOrder(otherTerms(input)));
      assertEquals(List.of("combineAppid", "subOrders", "payWindow"), conflict.fields());
      assertEquals(no, conflict.combineOutTradeNo());
      OrderInput later = input.withOrderCreatedAt(Instant.parse(input.orderCreatedAt()).plusSeconds(1).toString());
      assertEquals(
          List.of("orderCreatedAt"),
          assertThrows(OrderInputConflictException.class, () -> orders.startOrder(later)).fields());
      assertEquals(
          List.of("paymentTimeout", "onPaidAtDeadline"),
          assertThrows(
                  OrderInputConflictException.class,
                  () -> orders.startOrderUnchecked(
                      input.withPaymentTimeout(DurationValue.of("30m")).withOnPaidAtDeadline(OnPaidAtDeadline.ADOPT)))
              .fields());

      // The running order kept its input; the same order, spelled differently or without its creation time, joins it.
      OrderInput same =
          new OrderInput(no, input.combineAppid(), List.of(input.subOrders().get(1), input.subOrders().get(0)),
              DurationValue.of(input.paymentTimeout().json() + "ms"), null, DurationValue.ofMillis(2_000),
              OnPaidAtDeadline.REFUND, null);
      StartedOrder again = orders.startOrder(same);
      assertTrue(again.alreadyStarted());
      assertEquals(first.runId(), again.runId());
      OrderStatus status = orders.orderStatus(no);
      assertEquals(OrderPhase.AWAITING_PAYMENT, status.phase());
      assertTrue(status.payments() == null || status.payments().count() == 0, "no pay call was announced");
    } finally {
      terminate(no);
    }
  }

  /**
   * Needs a worker of lifecycle 1.1: its beginPayment answers the order's terms ({@code order}); a 1.0.0 worker
   * answers none, and this test says so.
   */
  @Test
  void anUpdateWithStartThatFindsTheOrderRunningWithAnotherInputSendsNoPayCall() {
    OrderInput input = order("JIU", Duration.ofMinutes(10));
    String no = input.combineOutTradeNo();
    StartedPayment started = orders.startOrderAndBeginPayment(input, BeginPaymentDetails.attempt("a1"));
    try {
      OrderTerms terms = started.payment().order();
      assertNotNull(terms, "the worker answered beginPayment without the order's terms: a worker older than 1.1?");
      assertEquals(List.of(), OrderTerms.differences(terms, OrderTerms.of(input), true));
      assertEquals(input.combineAppid(), terms.combineAppid());
      assertEquals(2_000, terms.payWindowMs());

      OrderInputConflictException conflict =
          assertThrows(
              OrderInputConflictException.class,
              () -> orders.startOrderAndBeginPayment(otherTerms(input), BeginPaymentDetails.attempt("a2")));
      assertEquals(List.of("combineAppid", "subOrders", "payWindow"), conflict.fields());
      // The same order again is accepted (the announcement of its second pay call).
      StartedPayment again = orders.startOrderAndBeginPayment(input, BeginPaymentDetails.attempt("a3"));
      assertTrue(again.alreadyStarted());
      assertEquals(started.runId(), again.runId());
      assertEquals(terms, again.payment().order());
    } finally {
      terminate(no);
    }
  }

  @Test
  void aSchemaInvalidInputIsRefusedBeforeAnythingStarts() {
    OrderInput valid = order("JIV", Duration.ofSeconds(60));
    String no = (valid.combineOutTradeNo() + "X".repeat(33)).substring(0, 33);
    OrderInput input = new OrderInput(no, valid.combineAppid(), valid.subOrders(), valid.paymentTimeout(),
        valid.orderCreatedAt(), valid.payWindow(), null, null);
    OrderInputException e = assertThrows(OrderInputException.class, () -> orders.startOrder(input));
    assertEquals("combineOutTradeNo", e.issues().get(0).field());
    assertThrows(OrderInputException.class, () -> orders.startOrderAndBeginPayment(input, null));
    assertEquals(Optional.empty(), orders.runStatus(no));
  }

  @Test
  void anOrderNobodyPollsDoesNotAnswerWithinTheDeadline() {
    Duration deadline = Duration.ofSeconds(1);
    OrderClient nobody = new OrderClient(connection, "nobody-polls-" + orderNo(""), deadline);
    OrderInput input = order("JIN", Duration.ofSeconds(60));
    String no = input.combineOutTradeNo();
    try {
      long started = System.nanoTime();
      OrderNotAnsweringException e =
          assertThrows(OrderNotAnsweringException.class, () -> nobody.startOrderAndBeginPayment(input, null));
      assertAbout(deadline, Duration.ofNanos(System.nanoTime() - started));
      assertEquals(OrderContract.BEGIN_PAYMENT, e.call());
      assertTrue(e.getMessage().contains("do not send the pay call"), e.getMessage());

      started = System.nanoTime();
      assertThrows(OrderNotAnsweringException.class, () -> nobody.beginPayment(no, null));
      assertAbout(deadline, Duration.ofNanos(System.nanoTime() - started));
      started = System.nanoTime();
      OrderNotAnsweringException query = assertThrows(OrderNotAnsweringException.class, () -> nobody.orderStatus(no));
      assertAbout(deadline, Duration.ofNanos(System.nanoTime() - started));
      assertEquals(OrderContract.STATUS, query.call());
      assertThrows(OrderNotAnsweringException.class, () -> nobody.markPaid(no, null, Duration.ofMillis(500)));
    } finally {
      if (orders.runStatus(no).isPresent()) terminate(no);
    }
  }

  private static void assertAbout(Duration deadline, Duration took) {
    assertTrue(took.compareTo(deadline.minusMillis(100)) >= 0, "answered too early: " + took);
    assertTrue(took.compareTo(deadline.plusSeconds(2)) <= 0, "took too long: " + took);
  }

  @Test
  void anUnpaidOrderLeavesAwaitingPaymentAtItsDeadlineAndRefusesPayment() throws InterruptedException {
    OrderInput input = order("JIT", Duration.ofSeconds(3));
    String no = input.combineOutTradeNo();
    assertEquals(1, orders.startOrderAndBeginPayment(input, BeginPaymentDetails.attempt("a1")).payment().payments());
    Instant until = Instant.now().plusSeconds(30);
    OrderPhase phase = OrderPhase.AWAITING_PAYMENT;
    while (phase == OrderPhase.AWAITING_PAYMENT && Instant.now().isBefore(until)) {
      Thread.sleep(100);
      phase = orders.orderStatus(no).phase();
    }
    // REVERSING while the pay window floor runs (60 s by default); a stack with a short floor may be further on.
    assertTrue(Set.of(OrderPhase.REVERSING, OrderPhase.COMPENSATING, OrderPhase.REVERSED).contains(phase), phase.name());
    BeginPaymentRefusedException refused =
        assertThrows(BeginPaymentRefusedException.class, () -> orders.beginPayment(no, BeginPaymentDetails.attempt("a2")));
    assertTrue(
        refused.getMessage().endsWith("do not send the pay call") || refused.getMessage().contains("has ended"),
        refused.getMessage());
    MarkPaidRefusedException late =
        assertThrows(MarkPaidRefusedException.class, () -> orders.markPaid(no, new MarkPaidDetails(null, "late-query", null)));
    assertTrue(
        late.getMessage().contains("the reversal has begun") || late.getMessage().contains("already ended REVERSED"),
        late.getMessage());
    // Left alone: the order is reconciled, reversed and compensated once the pay window (and its floor) has closed.
  }
}
