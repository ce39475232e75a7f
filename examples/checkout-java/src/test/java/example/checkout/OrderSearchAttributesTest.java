package example.checkout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.temporal.common.SearchAttributes;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The search attributes a start carries: the values the workflow gives them, so it upserts none of them. */
class OrderSearchAttributesTest {
  private static final List<SubOrder> SUB_ORDERS =
      List.of(
          new SubOrder("1900000109", "P1S1", "1900000001"),
          new SubOrder("1900000109", "P1S2", "1900000002"),
          new SubOrder("1900000109", "P1S3", "1900000001"));

  @Test
  void carryTheOrderSubOrdersAndDeadlineAsTheWorkflowSetsThem() {
    OrderInput input =
        OrderInput.of("P1", "wxd678efh567hg6787", SUB_ORDERS)
            .withOrderCreatedAt("2026-11-27T16:00:00.1234+08:00")
            .withPaymentTimeout(DurationValue.of("15m"));
    SearchAttributes attributes = OrderSearchAttributes.of(input);
    assertEquals("P1", attributes.get(OrderSearchAttributes.COMBINE_OUT_TRADE_NO));
    assertEquals("AWAITING_PAYMENT", attributes.get(OrderSearchAttributes.PAYMENT_PHASE));
    // Each secondary merchant once, in input order; every sub-order's out_trade_no, in input order.
    assertEquals(List.of("1900000001", "1900000002"), attributes.get(OrderSearchAttributes.SUB_MCH_IDS));
    assertEquals(List.of("P1S1", "P1S2", "P1S3"), attributes.get(OrderSearchAttributes.SUB_OUT_TRADE_NOS));
    // To the millisecond (the fraction cut as the workflow reads it): created plus the timeout.
    assertEquals(
        OffsetDateTime.of(2026, 11, 27, 8, 15, 0, 123_000_000, ZoneOffset.UTC).toInstant(),
        attributes.get(OrderSearchAttributes.PAYMENT_DEADLINE).toInstant());
    assertEquals(5, attributes.size());
  }

  @Test
  void leaveTheDeadlineToTheWorkflowWithoutOrderCreatedAt() {
    SearchAttributes attributes = OrderSearchAttributes.of(OrderInput.of("P1", "wxd678efh567hg6787", SUB_ORDERS));
    assertFalse(attributes.containsKey(OrderSearchAttributes.PAYMENT_DEADLINE));
    assertEquals(4, attributes.size());
  }
}
