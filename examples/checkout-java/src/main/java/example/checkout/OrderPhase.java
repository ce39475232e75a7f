package example.checkout;

import com.fasterxml.jackson.annotation.JsonCreator;

/** The phases of an order, as the workflow reports them ({@link OrderStatus#phase()}, {@link OrderResult#outcome()}). */
public enum OrderPhase {
  /** Waiting for the payer; beginPayment and markPaid are accepted. */
  AWAITING_PAYMENT,
  /** Confirmed paid (final). */
  PAID,
  /** The deadline passed or the order was cancelled: reconciling and reversing at WeChat Pay. */
  REVERSING,
  /** Reversed at WeChat Pay; compensating every sub-order. */
  COMPENSATING,
  /** Reversed and compensated (final). */
  REVERSED,
  /** A step cannot succeed by retrying; an operator must retry or resolve. */
  NEEDS_ATTENTION,
  /** Closed by an operator (final). */
  RESOLVED_MANUALLY,
  /** A phase this template does not know (a later workflow version). */
  UNKNOWN;

  /**
   * Reads a phase name; unknown names become {@link #UNKNOWN} instead of failing.
   *
   * @param name the phase as the workflow spells it
   * @return the phase
   */
  @JsonCreator
  public static OrderPhase of(String name) {
    for (OrderPhase phase : values()) {
      if (phase.name().equals(name)) return phase;
    }
    return UNKNOWN;
  }

  /**
   * Whether the order has reached a final phase (PAID, REVERSED, RESOLVED_MANUALLY).
   *
   * @return true for a final phase
   */
  public boolean isFinal() {
    return this == PAID || this == REVERSED || this == RESOLVED_MANUALLY;
  }
}
