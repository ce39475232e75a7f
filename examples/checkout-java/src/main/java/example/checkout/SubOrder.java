package example.checkout;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One sub-order of a combined order, as the checkout sends it.
 *
 * @param mchid merchant id of the sub-order's initiating merchant (1-32 digits)
 * @param outTradeNo the sub-order's own order number, unique within the combined order
 * @param subMchid the secondary merchant (1-32 digits)
 * @param subAppid the secondary merchant's app id, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SubOrder(String mchid, String outTradeNo, String subMchid, String subAppid) {
  /**
   * A sub-order without a {@code subAppid}.
   *
   * @param mchid merchant id
   * @param outTradeNo the sub-order's order number
   * @param subMchid the secondary merchant
   */
  public SubOrder(String mchid, String outTradeNo, String subMchid) {
    this(mchid, outTradeNo, subMchid, null);
  }
}
