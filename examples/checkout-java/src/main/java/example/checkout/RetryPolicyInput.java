package example.checkout;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Optional retry overrides of an order (input field {@code retryPolicy}).
 *
 * @param wechatpay the WeChat Pay calls (query and reverse), or null
 * @param downstream compensation and payment confirmation, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RetryPolicyInput(Settings wechatpay, Settings downstream) {
  /**
   * Retry settings of one kind of call; every field optional.
   *
   * @param initialInterval first retry delay
   * @param backoffCoefficient multiplier applied to the delay after each attempt (a BigDecimal: sent as given)
   * @param maximumInterval longest delay between attempts
   * @param scheduleToClose how long to retry before NEEDS_ATTENTION
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Settings(
      DurationValue initialInterval,
      java.math.BigDecimal backoffCoefficient,
      DurationValue maximumInterval,
      DurationValue scheduleToClose) {}
}
