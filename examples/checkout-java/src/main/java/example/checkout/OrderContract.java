package example.checkout;

/**
 * The names of the order workflow's public contract: workflow type, message names, task queue and workflow id. They
 * are the only thing a checkout shares with the workflow (which is written in TypeScript); change them only together
 * with the workflow.
 */
public final class OrderContract {
  /** Workflow type name. */
  public static final String WORKFLOW_TYPE = "combinePapayOrderWorkflow";
  /** Task queue of the product's workers when {@code TEMPORAL_TASK_QUEUE} is not set. */
  public static final String DEFAULT_TASK_QUEUE = "combine-papay";
  /** Environment variable naming the task queue. */
  public static final String TASK_QUEUE_ENV = "TEMPORAL_TASK_QUEUE";
  /** Update announcing a pay call; refused once the reversal has begun. */
  public static final String BEGIN_PAYMENT = "beginPayment";
  /** Update confirming the order paid; refused once the reversal has begun. */
  public static final String MARK_PAID = "markPaid";
  /** Query answering the order's {@link OrderStatus}. */
  public static final String STATUS = "status";
  /** Signal abandoning the order: it is reconciled and reversed. */
  public static final String CANCEL_ORDER = "cancelOrder";
  /** Operator signal: in NEEDS_ATTENTION, drive the failed step again. */
  public static final String RETRY = "retry";
  /** Operator signal: in NEEDS_ATTENTION, close the order as handled by hand. */
  public static final String RESOLVE = "resolve";
  /** Prefix of every order's workflow id. */
  public static final String WORKFLOW_ID_PREFIX = "combine-papay-";

  private OrderContract() {}

  /**
   * The workflow id of an order: {@code combine-papay-<combineOutTradeNo>}. One workflow per order, so a second
   * start of the same order finds the first.
   *
   * @param combineOutTradeNo the combined order number
   * @return the order's workflow id
   */
  public static String workflowId(String combineOutTradeNo) {
    return WORKFLOW_ID_PREFIX + combineOutTradeNo;
  }

  /**
   * The task queue from the environment ({@code TEMPORAL_TASK_QUEUE}), else {@link #DEFAULT_TASK_QUEUE}.
   *
   * @param env the environment, e.g. {@code System.getenv()}
   * @return the task queue the product's workers poll
   */
  public static String taskQueue(java.util.Map<String, String> env) {
    String queue = env.get(TASK_QUEUE_ENV);
    return queue == null || queue.isBlank() ? DEFAULT_TASK_QUEUE : queue.trim();
  }
}
