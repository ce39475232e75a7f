package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An order's terms: what a second start or an Update-With-Start must agree with before it may attach to the running
 * order. The running order answers them in {@code beginPayment}'s result (workers of lifecycle 1.1 on); a plain start
 * resolves them from the running run's input. Durations are resolved to milliseconds with the contract's defaults, as
 * the workflow resolves them.
 *
 * @param combineAppid the combined order's app id
 * @param subOrders the sub-orders (their order does not matter)
 * @param paymentTimeoutMs the payment timeout (default 30 minutes)
 * @param orderCreatedAt when the order was created, ISO-8601 (null when the input named none and no run resolved it)
 * @param payWindowMs the pay window (default 75 s)
 * @param onPaidAtDeadline REFUND (default) or ADOPT
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OrderTerms(
    String combineAppid,
    List<SubOrderTerms> subOrders,
    long paymentTimeoutMs,
    String orderCreatedAt,
    long payWindowMs,
    OnPaidAtDeadline onPaidAtDeadline) {
  /**
   * One sub-order of the terms (fields a later worker may add are ignored).
   *
   * @param mchid merchant id
   * @param outTradeNo the sub-order's number, its key
   * @param subMchid the secondary merchant
   * @param subAppid the secondary merchant's app id, or null
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record SubOrderTerms(String mchid, String outTradeNo, String subMchid, String subAppid) {}

  /** Payment timeout when the input names none. */
  public static final long DEFAULT_PAYMENT_TIMEOUT_MS = 30 * 60_000L;
  /** Pay window when the input names none. */
  public static final long DEFAULT_PAY_WINDOW_MS = 75_000L;

  private static final Pattern DURATION = Pattern.compile("^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d))+$");
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

  /**
   * The terms a checkout's input asks for (its {@code orderCreatedAt} as given, or null).
   *
   * @param input the order input
   * @return its terms
   * @throws IllegalArgumentException when a duration is not one
   */
  public static OrderTerms of(OrderInput input) {
    return new OrderTerms(
        input.combineAppid(),
        input.subOrders() == null
            ? List.of()
            : input.subOrders().stream()
                .map(s -> new SubOrderTerms(s.mchid(), s.outTradeNo(), s.subMchid(), s.subAppid()))
                .toList(),
        durationMillis(input.paymentTimeout(), DEFAULT_PAYMENT_TIMEOUT_MS),
        input.orderCreatedAt(),
        durationMillis(input.payWindow(), DEFAULT_PAY_WINDOW_MS),
        input.onPaidAtDeadline() == null ? OnPaidAtDeadline.REFUND : input.onPaidAtDeadline());
  }

  /**
   * The terms of a run from the input it was started with (its first history event), or empty when that input is not
   * an order the workflow would run (it then failed at its first task: there are no terms to compare).
   *
   * @param input the run's input as JSON
   * @param startedAt ISO-8601 time the run started: its {@code orderCreatedAt} when the input names none
   * @return the terms
   */
  public static Optional<OrderTerms> ofRunInput(JsonNode input, String startedAt) {
    try {
      // Fields this template does not know (e.g. a restart's own) do not matter here.
      OrderInput order =
          OrderJson.MAPPER
              .readerFor(OrderInput.class)
              .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
              .readValue(input);
      if (order.combineAppid() == null || order.subOrders() == null || order.subOrders().isEmpty()) {
        return Optional.empty();
      }
      OrderTerms terms = of(order);
      return Optional.of(terms.orderCreatedAt() == null ? terms.withOrderCreatedAt(startedAt) : terms);
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  private OrderTerms withOrderCreatedAt(String iso) {
    return new OrderTerms(combineAppid, subOrders, paymentTimeoutMs, iso, payWindowMs, onPaidAtDeadline);
  }

  /**
   * The input fields, by their input names ({@code combineAppid, subOrders, paymentTimeout, orderCreatedAt,
   * payWindow, onPaidAtDeadline}), in which the running order's terms differ from the caller's (empty: the same
   * order). Sub-orders are compared as a set keyed by {@code outTradeNo}; {@code orderCreatedAt} only when {@code
   * compareCreatedAt} (the caller's input named one), as instants. Pure.
   *
   * @param running the running order's terms
   * @param mine the caller's terms
   * @param compareCreatedAt whether the caller's input named its {@code orderCreatedAt}
   * @return the differing fields, in the order above
   */
  public static List<String> differences(OrderTerms running, OrderTerms mine, boolean compareCreatedAt) {
    List<String> fields = new ArrayList<>();
    if (!Objects.equals(running.combineAppid(), mine.combineAppid())) fields.add("combineAppid");
    if (!bySubOrderNo(running.subOrders()).equals(bySubOrderNo(mine.subOrders()))) fields.add("subOrders");
    if (running.paymentTimeoutMs() != mine.paymentTimeoutMs()) fields.add("paymentTimeout");
    if (compareCreatedAt && !Objects.equals(IsoTime.epochMillis(running.orderCreatedAt()), IsoTime.epochMillis(mine.orderCreatedAt()))) {
      fields.add("orderCreatedAt");
    }
    if (running.payWindowMs() != mine.payWindowMs()) fields.add("payWindow");
    if (orRefund(running.onPaidAtDeadline()) != orRefund(mine.onPaidAtDeadline())) fields.add("onPaidAtDeadline");
    return fields;
  }

  /**
   * The conflict of an Update-With-Start that reached a running order: the fields in which the terms it answered
   * differ from the caller's input. Empty when they agree, and when the order answered no terms (an order running on
   * a worker older than lifecycle 1.1: nothing to compare).
   *
   * @param payment what {@code beginPayment} answered
   * @param input the caller's input
   * @return the differing fields
   */
  public static List<String> conflictOf(BeginPaymentResult payment, OrderInput input) {
    if (payment == null || payment.order() == null) return List.of();
    return differences(payment.order(), of(input), input.orderCreatedAt() != null);
  }

  /**
   * A duration of the input in milliseconds, as the workflow reads it: a number as is; a string of digits as
   * milliseconds; else {@code <number><unit>} parts (ms, s, m, h, d) summed and rounded (in doubles, as the worker).
   *
   * @param value the value, or null
   * @param fallback the default when null
   * @return milliseconds
   * @throws IllegalArgumentException when the value is not a duration
   */
  public static long durationMillis(DurationValue value, long fallback) {
    if (value == null) return fallback;
    Object json = value.json();
    if (json instanceof Number n) return n.longValue();
    String text = json.toString().trim();
    if (!text.isEmpty() && text.length() <= 32 && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return Long.parseLong(text);
    }
    if (text.isEmpty() || text.length() > 32 || !DURATION.matcher(text).matches()) {
      throw new IllegalArgumentException("\"" + text + "\" is not a duration");
    }
    double total = 0;
    Matcher part = DURATION_PART.matcher(text);
    while (part.find()) total += Double.parseDouble(part.group(1)) * unitMillis(part.group(2));
    return Math.round(total);
  }

  private static long unitMillis(String unit) {
    return switch (unit) {
      case "ms" -> 1L;
      case "s" -> 1_000L;
      case "m" -> 60_000L;
      case "h" -> 3_600_000L;
      default -> 86_400_000L;
    };
  }

  private static OnPaidAtDeadline orRefund(OnPaidAtDeadline value) {
    return value == null ? OnPaidAtDeadline.REFUND : value;
  }

  /** The sub-orders sorted by outTradeNo, each with no more than the fields compared. */
  private static List<SubOrderTerms> bySubOrderNo(List<SubOrderTerms> subOrders) {
    return (subOrders == null ? List.<SubOrderTerms>of() : subOrders)
        .stream()
        .sorted(Comparator.comparing(SubOrderTerms::outTradeNo, Comparator.nullsFirst(Comparator.naturalOrder())))
        .toList();
  }
}
