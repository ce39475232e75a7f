package example.checkout;

/** What the workflow does with an order WeChat Pay shows paid once the deadline has passed. */
public enum OnPaidAtDeadline {
  /** Reverse it (a reverse of a paid order refunds it), then compensate. The default. */
  REFUND,
  /** Keep it: finish PAID and announce it to the order service. */
  ADOPT
}
