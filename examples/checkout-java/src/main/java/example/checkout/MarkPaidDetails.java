package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What {@code markPaid} carries: the pay call's answer or a query result, for the record (each field at most 256
 * characters, all optional).
 *
 * @param transactionId WeChat Pay's transaction id or another reference, or null
 * @param source where the confirmation came from, e.g. {@code "pay-response"} or {@code "query"}, or null
 * @param note free text, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record MarkPaidDetails(String transactionId, String source, String note) {}
