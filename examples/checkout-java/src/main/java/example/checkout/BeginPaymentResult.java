package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * What {@code beginPayment} answers.
 *
 * @param reverseNotBefore no reverse is sent before this time, so the pay call about to be sent may still land
 * @param payments how many pay calls were announced so far, this one included
 * @param order the running order's terms (workers of lifecycle 1.1 on; null from an order running on an older
 *     worker): {@link OrderClient#startOrderAndBeginPayment} compares them with its input
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BeginPaymentResult(Instant reverseNotBefore, int payments, OrderTerms order) {}
