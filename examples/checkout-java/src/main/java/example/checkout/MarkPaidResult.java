package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * What {@code markPaid} answers.
 *
 * @param phase always {@link OrderPhase#PAID}
 * @param paidAt when the order was confirmed paid (the first confirmation's time on a repeat)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MarkPaidResult(OrderPhase phase, Instant paidAt) {}
