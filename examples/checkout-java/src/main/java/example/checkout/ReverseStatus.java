package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * The reverse step as the status and result show it (the fields a checkout reads; others are ignored).
 *
 * @param state e.g. {@code NOT_STARTED}, {@code WAITING_FOR_PAY_WINDOW}, {@code IN_PROGRESS}, {@code CONFIRMED}
 * @param notBefore earliest time of the first query (the pay window's end), or null
 * @param payWindowFloor the worker's pay window floor the order used, e.g. {@code "60s"}, or null
 * @param outcome how WeChat Pay accepted the reverse: {@code REVERSED}, {@code ALREADY_CLOSED}, {@code
 *     ORDER_NOT_FOUND}, {@code NOT_NEEDED}, or null
 * @param httpStatus HTTP status of the accepted answer, or null
 * @param verified whether the accepted answer's signature verified, or null
 * @param rounds how many reverses were sent
 * @param acceptedAt when the reverse was accepted, or null
 * @param confirmedAt when a query confirmed the order closed, reversed or refunded, or null
 * @param decision the last decision taken from a query, or null
 * @param lastFailure the last failure of the step, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReverseStatus(
    String state,
    Instant notBefore,
    String payWindowFloor,
    String outcome,
    Integer httpStatus,
    Boolean verified,
    int rounds,
    Instant acceptedAt,
    Instant confirmedAt,
    String decision,
    FailureInfo lastFailure) {}
