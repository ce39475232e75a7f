package example.checkout;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The workflow's input: one WeChat Pay combined order. Absent optional fields are not sent (never as null), so the
 * workflow applies its defaults. Validated against {@code order-input.schema.json} before every start.
 *
 * @param combineOutTradeNo the combined order number, 1-32 of {@code 0-9A-Za-z_-|*@}
 * @param combineAppid the combined order's app id
 * @param subOrders 1-50 sub-orders with unique {@code outTradeNo}
 * @param paymentTimeout time the payer has (default 30 minutes), or null
 * @param orderCreatedAt when the order was created, ISO-8601 with a zone (default: the workflow's start), or null
 * @param payWindow how long one pay call may still land after it was sent (default {@code "75s"}), or null
 * @param onPaidAtDeadline what to do with an order found paid at the deadline (default REFUND), or null
 * @param retryPolicy retry overrides, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OrderInput(
    String combineOutTradeNo,
    String combineAppid,
    List<SubOrder> subOrders,
    DurationValue paymentTimeout,
    String orderCreatedAt,
    DurationValue payWindow,
    OnPaidAtDeadline onPaidAtDeadline,
    RetryPolicyInput retryPolicy) {

  /**
   * An order with the required fields only; add optional ones with the {@code with...} methods.
   *
   * @param combineOutTradeNo the combined order number
   * @param combineAppid the app id
   * @param subOrders the sub-orders
   * @return the input
   */
  public static OrderInput of(String combineOutTradeNo, String combineAppid, List<SubOrder> subOrders) {
    return new OrderInput(combineOutTradeNo, combineAppid, subOrders, null, null, null, null, null);
  }

  /**
   * This input with {@code paymentTimeout}.
   *
   * @param value e.g. {@code DurationValue.of("30m")}
   * @return a copy
   */
  public OrderInput withPaymentTimeout(DurationValue value) {
    return new OrderInput(
        combineOutTradeNo, combineAppid, subOrders, value, orderCreatedAt, payWindow, onPaidAtDeadline, retryPolicy);
  }

  /**
   * This input with {@code orderCreatedAt}.
   *
   * @param iso ISO-8601 with a zone, e.g. {@code Instant.now().toString()}
   * @return a copy
   */
  public OrderInput withOrderCreatedAt(String iso) {
    return new OrderInput(
        combineOutTradeNo, combineAppid, subOrders, paymentTimeout, iso, payWindow, onPaidAtDeadline, retryPolicy);
  }

  /**
   * This input with {@code payWindow}.
   *
   * @param value e.g. {@code DurationValue.of("75s")}
   * @return a copy
   */
  public OrderInput withPayWindow(DurationValue value) {
    return new OrderInput(
        combineOutTradeNo, combineAppid, subOrders, paymentTimeout, orderCreatedAt, value, onPaidAtDeadline, retryPolicy);
  }

  /**
   * This input with {@code onPaidAtDeadline}.
   *
   * @param value REFUND or ADOPT
   * @return a copy
   */
  public OrderInput withOnPaidAtDeadline(OnPaidAtDeadline value) {
    return new OrderInput(
        combineOutTradeNo, combineAppid, subOrders, paymentTimeout, orderCreatedAt, payWindow, value, retryPolicy);
  }
}
