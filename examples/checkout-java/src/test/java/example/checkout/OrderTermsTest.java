package example.checkout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The comparison of an order's terms with a caller's input (a pure function), and reading the terms answered. */
class OrderTermsTest {
  private static final List<SubOrder> SUB_ORDERS =
      List.of(
          new SubOrder("1900000109", "P1S1", "1900000001"),
          new SubOrder("1900000109", "P1S2", "1900000002", "wx8888888888888888"));
  private static final OrderInput INPUT = OrderInput.of("P1", "wxd678efh567hg6787", SUB_ORDERS);

  private static List<String> diff(OrderInput running, OrderInput mine) {
    return OrderTerms.differences(OrderTerms.of(running), OrderTerms.of(mine), mine.orderCreatedAt() != null);
  }

  @Test
  void theSameOrderSpelledDifferentlyDoesNotDiffer() {
    OrderInput spelled =
        OrderInput.of("P1", "wxd678efh567hg6787", List.of(SUB_ORDERS.get(1), SUB_ORDERS.get(0)))
            .withPaymentTimeout(DurationValue.of("30m"))
            .withPayWindow(DurationValue.ofMillis(75_000))
            .withOnPaidAtDeadline(OnPaidAtDeadline.REFUND);
    assertEquals(List.of(), diff(INPUT, spelled));
    assertEquals(List.of(), diff(spelled, INPUT));
    OrderInput text = INPUT.withPaymentTimeout(DurationValue.of("0.5h")).withPayWindow(DurationValue.of("1m15s"));
    assertEquals(List.of(), diff(INPUT.withPaymentTimeout(DurationValue.ofMillis(1_800_000)), text));
  }

  @Test
  void namesEachDifferingFieldByItsInputName() {
    assertEquals(List.of("combineAppid"), diff(INPUT, OrderInput.of("P1", "wx0000000000000000", SUB_ORDERS)));
    assertEquals(List.of("paymentTimeout"), diff(INPUT, INPUT.withPaymentTimeout(DurationValue.of("31m"))));
    assertEquals(List.of("payWindow"), diff(INPUT, INPUT.withPayWindow(DurationValue.of("90s"))));
    assertEquals(List.of("onPaidAtDeadline"), diff(INPUT, INPUT.withOnPaidAtDeadline(OnPaidAtDeadline.ADOPT)));
    OrderInput all =
        new OrderInput(
            "P1", "wx1", List.of(SUB_ORDERS.get(0)), DurationValue.of("1m"), "2026-11-27T08:00:00Z",
            DurationValue.of("61s"), OnPaidAtDeadline.ADOPT, null);
    assertEquals(
        List.of("combineAppid", "subOrders", "paymentTimeout", "orderCreatedAt", "payWindow", "onPaidAtDeadline"),
        OrderTerms.differences(
            OrderTerms.of(INPUT.withOrderCreatedAt("2026-11-27T08:00:01Z")), OrderTerms.of(all), true));
  }

  @Test
  void comparesSubOrdersAsASetKeyedByOutTradeNo() {
    SubOrder s1 = SUB_ORDERS.get(0);
    SubOrder s2 = SUB_ORDERS.get(1);
    List<List<SubOrder>> others =
        List.of(
            List.of(s1),
            List.of(s1, s2, new SubOrder("1900000109", "P1S3", "1900000003")),
            List.of(s1, new SubOrder("1900000109", "P1S2", "1900000002")), // subAppid dropped
            List.of(s1, new SubOrder("1900000109", "P1S2", "1900000002", "wx9999999999999999")),
            List.of(s1, new SubOrder("1900000110", "P1S2", "1900000002", "wx8888888888888888")),
            List.of(s1, new SubOrder("1900000109", "P1S2", "1900000003", "wx8888888888888888")),
            List.of(s1, new SubOrder("1900000109", "P1S9", "1900000002", "wx8888888888888888")));
    for (List<SubOrder> subOrders : others) {
      assertEquals(
          List.of("subOrders"), diff(INPUT, OrderInput.of("P1", INPUT.combineAppid(), subOrders)), subOrders.toString());
    }
  }

  @Test
  void comparesOrderCreatedAtOnlyWhenTheCallerNamedItAsInstants() {
    OrderInput running = INPUT.withOrderCreatedAt("2026-11-27T08:00:00.000Z");
    assertEquals(List.of(), diff(running, INPUT)); // not named by the caller: the running order's holds
    for (String same : List.of("2026-11-27T16:00+08:00", "2026-11-27T08:00:00Z", "2026-11-27T03:00:00.0009-0500")) {
      assertEquals(List.of(), diff(running, INPUT.withOrderCreatedAt(same)), same);
    }
    assertEquals(List.of("orderCreatedAt"), diff(running, INPUT.withOrderCreatedAt("2026-11-27T08:00:00.001Z")));
    assertEquals(List.of("orderCreatedAt"), diff(running, INPUT.withOrderCreatedAt("2026-11-27T08:00:00+08:00")));
  }

  @Test
  void readsTimesAndDurationsAsTheWorkerDoes() {
    assertEquals(1_795_766_400_000L, IsoTime.epochMillis("2026-11-27T16:00+08:00"));
    assertEquals(1_795_766_400_123L, IsoTime.epochMillis("2026-11-27T08:00:00.1239Z"));
    assertEquals(1_795_766_400_000L, IsoTime.epochMillis("2026-11-27T16:00:00+0800"));
    assertNull(IsoTime.epochMillis("2026-02-30T08:00:00Z"));
    assertNull(IsoTime.epochMillis("2026-11-27T08:00:00"));
    assertNull(IsoTime.epochMillis("2026-11-27T08:00:00+24:00"));
    // The same values as the worker's parseDuration (JavaScript doubles, Math.round).
    assertEquals(1500, OrderTerms.durationMillis(DurationValue.of("1.5s"), 0));
    assertEquals(5_400_000, OrderTerms.durationMillis(DurationValue.of("1h30m"), 0));
    assertEquals(123, OrderTerms.durationMillis(DurationValue.of("0123"), 0));
    assertEquals(1001, OrderTerms.durationMillis(DurationValue.of("1.0005s"), 0));
    assertEquals(3, OrderTerms.durationMillis(DurationValue.of("2.5ms"), 0));
    assertEquals(2, OrderTerms.durationMillis(DurationValue.of("0.0015s"), 0));
    assertEquals(86_400_000, OrderTerms.durationMillis(DurationValue.of("1d"), 0));
    assertEquals(7, OrderTerms.durationMillis(null, 7));
    assertThrows(IllegalArgumentException.class, () -> OrderTerms.durationMillis(DurationValue.of("5 minutes"), 0));
  }

  @Test
  void anUpdateWithStartComparesTheTermsTheOrderAnswered() throws Exception {
    String answered =
        "{\"reverseNotBefore\":\"2026-12-03T08:01:15.000Z\",\"payments\":2,\"order\":{\"combineAppid\":\"wxd678efh567hg6787\","
            + "\"subOrders\":[{\"mchid\":\"1900000109\",\"outTradeNo\":\"P1S2\",\"subMchid\":\"1900000002\","
            + "\"subAppid\":\"wx8888888888888888\",\"later\":1},{\"mchid\":\"1900000109\",\"outTradeNo\":\"P1S1\","
            + "\"subMchid\":\"1900000001\"}],\"paymentTimeoutMs\":1800000,\"orderCreatedAt\":\"2026-12-03T07:59:00.000Z\","
            + "\"payWindowMs\":75000,\"onPaidAtDeadline\":\"REFUND\",\"later\":true}}";
    BeginPaymentResult payment = OrderJson.MAPPER.readValue(answered, BeginPaymentResult.class);
    assertEquals(2, payment.payments());
    assertEquals(List.of(), OrderTerms.conflictOf(payment, INPUT));
    assertEquals(List.of(), OrderTerms.conflictOf(payment, INPUT.withOrderCreatedAt("2026-12-03T15:59+08:00")));
    assertEquals(
        List.of("orderCreatedAt", "onPaidAtDeadline"),
        OrderTerms.conflictOf(
            payment, INPUT.withOrderCreatedAt("2026-12-03T07:58:00Z").withOnPaidAtDeadline(OnPaidAtDeadline.ADOPT)));

    // An order running on a worker older than lifecycle 1.1 answers no terms: nothing to compare.
    BeginPaymentResult older =
        OrderJson.MAPPER.readValue("{\"reverseNotBefore\":\"2026-12-03T08:01:15.000Z\",\"payments\":1}", BeginPaymentResult.class);
    assertNull(older.order());
    assertEquals(List.of(), OrderTerms.conflictOf(older, OrderInput.of("P1", "wx1", List.of())));
  }

  @Test
  void aPlainStartReadsTheRunningRunsInput() throws Exception {
    JsonNode started =
        OrderJson.MAPPER.readTree(
            "{\"combineOutTradeNo\":\"P1\",\"combineAppid\":\"wxd678efh567hg6787\",\"subOrders\":["
                + "{\"mchid\":\"1900000109\",\"outTradeNo\":\"P1S1\",\"subMchid\":\"1900000001\"},"
                + "{\"mchid\":\"1900000109\",\"outTradeNo\":\"P1S2\",\"subMchid\":\"1900000002\",\"subAppid\":\"wx8888888888888888\"}],"
                + "\"paymentTimeout\":\"30m\",\"restart\":{\"previousRunId\":\"r0\",\"reverseSent\":false}}");
    OrderTerms running = OrderTerms.ofRunInput(started, "2026-12-03T08:00:00.123456Z").orElseThrow();
    assertEquals("2026-12-03T08:00:00.123456Z", running.orderCreatedAt()); // the run's start stands for it
    assertEquals(List.of(), OrderTerms.differences(running, OrderTerms.of(INPUT), false));
    assertEquals(
        List.of(),
        OrderTerms.differences(running, OrderTerms.of(INPUT.withOrderCreatedAt("2026-12-03T08:00:00.123Z")), true));
    assertEquals(
        List.of("orderCreatedAt"),
        OrderTerms.differences(running, OrderTerms.of(INPUT.withOrderCreatedAt("2026-12-03T08:00:00Z")), true));
    // An input the workflow could not run has no terms (its run failed at once): not compared.
    JsonNode broken = OrderJson.MAPPER.readTree("{\"combineOutTradeNo\":\"P1\",\"paymentTimeout\":true}");
    assertEquals(Optional.empty(), OrderTerms.ofRunInput(broken, "2026-12-03T08:00:00Z"));
    assertEquals(Optional.empty(), OrderTerms.ofRunInput(OrderJson.MAPPER.readTree("{}"), "2026-12-03T08:00:00Z"));
  }

  @Test
  void theConflictNamesTheFieldsAndWhatToDo() {
    OrderInputConflictException e = new OrderInputConflictException("P1", List.of("subOrders", "payWindow"));
    assertEquals(List.of("subOrders", "payWindow"), e.fields());
    assertEquals("P1", e.combineOutTradeNo());
    assertTrue(e.getMessage().startsWith("order P1 is already running with other terms: subOrders, payWindow differ"));
    assertTrue(e.getMessage().contains("send no pay call"));
  }
}
