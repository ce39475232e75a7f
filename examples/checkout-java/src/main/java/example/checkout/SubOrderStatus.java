package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * One sub-order in the status and the result.
 *
 * @param outTradeNo the sub-order's order number
 * @param mchid merchant id
 * @param subMchid secondary merchant
 * @param compensation its compensation's state
 * @param tradeState the state the confirming query saw ({@code CLOSED}, {@code REVOKED}, {@code REFUND}, {@code
 *     NOT_FOUND}), or null
 * @param httpStatus the order service's answer to the compensation, or null
 * @param alreadyCompensated true when the order service answered 409, or null
 * @param completedAt when the compensation was done, or null
 * @param lastFailure the last failed compensation attempt, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SubOrderStatus(
    String outTradeNo,
    String mchid,
    String subMchid,
    CompensationState compensation,
    String tradeState,
    Integer httpStatus,
    Boolean alreadyCompensated,
    Instant completedAt,
    FailureInfo lastFailure) {}
