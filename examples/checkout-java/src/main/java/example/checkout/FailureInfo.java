package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * A failure as the status shows it.
 *
 * @param type the failure type, e.g. {@code REVERSE_TRANSIENT}
 * @param message what happened (free of secrets)
 * @param at when
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FailureInfo(String type, String message, Instant at) {}
