package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.List;

/**
 * What the {@code status} Query answers: the fields a checkout reads. Fields added by later workflow versions are
 * ignored, so they never break this client.
 *
 * @param combineOutTradeNo the combined order number
 * @param phase the current phase
 * @param deadline when the order is reversed unless confirmed paid
 * @param orderCreatedAt when the order was created
 * @param waitingFor one sentence: what the workflow waits for and why
 * @param paid how it was paid, or null
 * @param cancelled when (and why) it was cancelled, or null
 * @param payments pay calls announced with beginPayment, or null when none
 * @param payWindow the pay window in force, e.g. {@code "75s"}, or null
 * @param reverse the reverse step
 * @param subOrders every sub-order
 * @param attention why a human is needed (NEEDS_ATTENTION), or null
 * @param resolution how an operator resolved it, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OrderStatus(
    String combineOutTradeNo,
    OrderPhase phase,
    Instant deadline,
    Instant orderCreatedAt,
    String waitingFor,
    PaidInfo paid,
    Cancelled cancelled,
    Payments payments,
    String payWindow,
    ReverseStatus reverse,
    List<SubOrderStatus> subOrders,
    Attention attention,
    Resolution resolution) {

  /**
   * A cancelled order.
   *
   * @param at when
   * @param reason why, or null
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Cancelled(Instant at, String reason) {}

  /**
   * Pay calls announced so far.
   *
   * @param count how many
   * @param lastAt when the last one was announced
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Payments(int count, Instant lastAt) {}

  /**
   * Why an operator is needed.
   *
   * @param step the stuck step, e.g. {@code REVERSE}, {@code COMPENSATION}
   * @param reason what failed
   * @param since when
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Attention(String step, String reason, Instant since) {}

  /**
   * How an operator closed the order.
   *
   * @param note what was done by hand
   * @param at when
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Resolution(String note, Instant at) {}
}
