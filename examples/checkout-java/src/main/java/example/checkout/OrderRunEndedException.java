package example.checkout;

/**
 * The order's workflow exists but ended without an outcome (FAILED, TERMINATED, TIMED_OUT, CANCELED): nobody will
 * reverse this order. Find the cause, then start it again (the TypeScript client's {@code restartIfEnded}) or handle
 * the order by hand.
 */
public final class OrderRunEndedException extends OrderException {
  private static final long serialVersionUID = 1L;
  private final String workflowId;
  private final String runStatus;

  /**
   * An ended run.
   *
   * @param combineOutTradeNo the order
   * @param workflowId its workflow id
   * @param runStatus how the run ended, e.g. {@code FAILED}
   */
  public OrderRunEndedException(String combineOutTradeNo, String workflowId, String runStatus) {
    super(
        combineOutTradeNo,
        "order "
            + combineOutTradeNo
            + " has a workflow ("
            + workflowId
            + ") that ended "
            + runStatus
            + ": it will not be reversed. Start it again once the cause is understood, or handle the order by hand.",
        null);
    this.workflowId = workflowId;
    this.runStatus = runStatus;
  }

  /**
   * The order's workflow id.
   *
   * @return the workflow id
   */
  public String workflowId() {
    return workflowId;
  }

  /**
   * How the run ended.
   *
   * @return FAILED, TERMINATED, TIMED_OUT or CANCELED
   */
  public String runStatus() {
    return runStatus;
  }
}
