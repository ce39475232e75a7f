package example.checkout;

/**
 * An order's workflow after {@link OrderClient#startOrder}.
 *
 * @param workflowId the workflow id ({@code combine-papay-<combineOutTradeNo>})
 * @param runId the run that carries the order
 * @param alreadyStarted true when the order had been started before (running or completed): nothing new started
 */
public record StartedOrder(String workflowId, String runId, boolean alreadyStarted) {}
