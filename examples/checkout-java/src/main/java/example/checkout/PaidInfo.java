package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.Map;

/**
 * How an order came to be paid.
 *
 * @param at when
 * @param source {@code MARK_PAID} (the checkout confirmed it) or {@code WECHATPAY_QUERY} (adopted at the deadline)
 * @param details what markPaid carried, or null
 * @param transactionIds WeChat Pay transaction ids by sub-order for an adopted order, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PaidInfo(Instant at, String source, MarkPaidDetails details, Map<String, String> transactionIds) {}
