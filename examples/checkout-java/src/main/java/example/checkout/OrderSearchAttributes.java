package example.checkout;

import io.temporal.common.SearchAttributeKey;
import io.temporal.common.SearchAttributes;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The order's custom search attributes, by their contract names (registered once per namespace: the project's
 * docs/configuration.md), and the values an order starts with. A start that carries them leaves the workflow nothing
 * to upsert; one that lacks any gets what it lacks in one upsert at the workflow's first task.
 */
public final class OrderSearchAttributes {
  /** The combined order number. */
  public static final SearchAttributeKey<String> COMBINE_OUT_TRADE_NO = SearchAttributeKey.forKeyword("CombineOutTradeNo");
  /** The order's phase, {@code AWAITING_PAYMENT} at start. */
  public static final SearchAttributeKey<String> PAYMENT_PHASE = SearchAttributeKey.forKeyword("PaymentPhase");
  /** The order's payment deadline. */
  public static final SearchAttributeKey<OffsetDateTime> PAYMENT_DEADLINE =
      SearchAttributeKey.forOffsetDateTime("PaymentDeadline");
  /** The sub-orders' secondary merchants, each once, in input order. */
  public static final SearchAttributeKey<List<String>> SUB_MCH_IDS = SearchAttributeKey.forKeywordList("SubMchIds");
  /**
   * The sub-orders' own order numbers ({@code out_trade_no}), in input order: how a trade bill's row finds the order
   * that owns it.
   */
  public static final SearchAttributeKey<List<String>> SUB_OUT_TRADE_NOS =
      SearchAttributeKey.forKeywordList("SubOutTradeNos");

  private OrderSearchAttributes() {}

  /**
   * The search attributes an order starts with, with the values the workflow gives them. {@code PaymentDeadline}
   * ({@code orderCreatedAt} plus {@code paymentTimeout}) only when the input names its {@code orderCreatedAt}:
   * otherwise the workflow counts from its own start and sets the deadline itself.
   *
   * @param input a valid order input
   * @return its search attributes
   */
  public static SearchAttributes of(OrderInput input) {
    Set<String> subMchids = new LinkedHashSet<>();
    List<String> outTradeNos = new ArrayList<>();
    for (SubOrder s : input.subOrders()) {
      subMchids.add(s.subMchid());
      outTradeNos.add(s.outTradeNo());
    }
    SearchAttributes.Builder attributes =
        SearchAttributes.newBuilder()
            .set(COMBINE_OUT_TRADE_NO, input.combineOutTradeNo())
            .set(SUB_MCH_IDS, List.copyOf(subMchids))
            .set(SUB_OUT_TRADE_NOS, outTradeNos)
            .set(PAYMENT_PHASE, OrderPhase.AWAITING_PAYMENT.name());
    Long created = IsoTime.epochMillis(input.orderCreatedAt());
    if (created != null) {
      long timeout = OrderTerms.durationMillis(input.paymentTimeout(), OrderTerms.DEFAULT_PAYMENT_TIMEOUT_MS);
      attributes.set(PAYMENT_DEADLINE, Instant.ofEpochMilli(created + timeout).atOffset(ZoneOffset.UTC));
    }
    return attributes.build();
  }
}
