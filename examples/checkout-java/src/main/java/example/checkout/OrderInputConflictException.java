package example.checkout;

import java.util.List;

/**
 * A start or Update-With-Start reached the order running with another input: the fields named differ from the
 * running order's. The running order keeps its own input; nothing was changed. Send no pay call on this input: find
 * out which input is right (two checkouts using one order number, or a changed order re-sent under its old number).
 */
public final class OrderInputConflictException extends OrderException {
  private static final long serialVersionUID = 1L;
  private final List<String> fields;

  /**
   * A conflict.
   *
   * @param combineOutTradeNo the order
   * @param fields the input fields that differ, by input name ({@code combineAppid}, {@code subOrders}, {@code
   *     paymentTimeout}, {@code orderCreatedAt}, {@code payWindow}, {@code onPaidAtDeadline})
   */
  public OrderInputConflictException(String combineOutTradeNo, List<String> fields) {
    super(
        combineOutTradeNo,
        "order "
            + combineOutTradeNo
            + " is already running with other terms: "
            + String.join(", ", fields)
            + " differ from this call's input. The running order keeps its own; send no pay call on this input"
            + " (check which is right).",
        null);
    this.fields = List.copyOf(fields);
  }

  /**
   * The input fields that differ.
   *
   * @return their input names, in the contract's order
   */
  public List<String> fields() {
    return fields;
  }
}
