package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The workflow's result (the fields a checkout reads; others are ignored).
 *
 * @param outcome {@link OrderPhase#PAID}, {@link OrderPhase#REVERSED} or {@link OrderPhase#RESOLVED_MANUALLY}
 * @param combineOutTradeNo the combined order number
 * @param paid how it was paid (outcome PAID), or null
 * @param reverse the reverse step, or null
 * @param subOrders every sub-order with its compensation
 * @param resolution how an operator resolved it, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OrderResult(
    OrderPhase outcome,
    String combineOutTradeNo,
    PaidInfo paid,
    ReverseStatus reverse,
    List<SubOrderStatus> subOrders,
    OrderStatus.Resolution resolution) {}
