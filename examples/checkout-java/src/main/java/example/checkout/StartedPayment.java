package example.checkout;

/**
 * The answer of {@link OrderClient#startOrderAndBeginPayment}: the order's workflow and the pay call's announcement.
 *
 * @param workflowId the workflow id
 * @param runId the run that accepted the announcement
 * @param alreadyStarted true when the workflow was running before this call (the Update went to it)
 * @param payment the announcement's answer: send the pay call now
 */
public record StartedPayment(String workflowId, String runId, boolean alreadyStarted, BeginPaymentResult payment) {}
