package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.EmptyWebhookSecretException;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * For the order service: checks a compensation or a payment confirmation the worker sent, before acting on it. The
 * requests are <a href="https://www.standardwebhooks.com/">Standard Webhooks</a> (v1, symmetric): {@code webhook-id},
 * {@code webhook-timestamp} (Unix seconds) and {@code webhook-signature} ({@code v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">}, one per secret the worker holds, space-separated). The signature is checked by the
 * Standard Webhooks library ({@code com.standardwebhooks:standardwebhooks}); this class adds what the library cannot
 * know: which purpose the endpoint serves, and that the signed body is that purpose's request for the order its
 * {@code webhook-id} names.
 *
 * <p>Checks, in order (as the TypeScript client's {@code verifyDownstreamRequest}): the three headers present (names
 * in any case) → {@code MISSING_HEADER}; the timestamp Unix seconds within ±300 s of now → {@code STALE_TIMESTAMP}; a
 * signature made with one of the secrets → {@code BAD_SIGNATURE}; then what the library cannot know: the {@code
 * webhook-id} prefix ({@code compensation:} / {@code confirmation:}) and the body's {@code type} this endpoint's →
 * {@code WRONG_PURPOSE}; the body {@code { type, timestamp, data }} with the purpose's data fields → {@code BAD_BODY};
 * the {@code webhook-id} the one the data implies ({@code compensation:<combineOutTradeNo>:<outTradeNo>}, {@code
 * confirmation:<combineOutTradeNo>}), and {@code Idempotency-Key}, when sent, equal to it → {@code KEY_MISMATCH}. So a
 * compensation never verifies at the confirmation endpoint, nor the other way round. Deduplicating by {@link
 * Verdict#webhookId()} stays the service's job: answer 409 (or the first answer again) for an id already done.
 *
 * <pre>{@code
 * DownstreamVerifier verifier =
 *     DownstreamVerifier.fromEnvironment(Purpose.COMPENSATION, System.getenv("COMPENSATION_HMAC_SECRET"));
 * Verdict verdict = verifier.verify(headers, rawBody);
 * if (!verdict.ok()) return respond(verdict.refusal().httpStatus(), verdict.refusal().name());
 * Compensation c = verdict.compensation(); // then deduplicate by verdict.webhookId()
 * }</pre>
 */
public final class DownstreamVerifier {
  /** Header naming the message: the idempotency key, the same on every retry. */
  public static final String WEBHOOK_ID = "webhook-id";
  /** Header carrying the signing time, Unix seconds. */
  public static final String WEBHOOK_TIMESTAMP = "webhook-timestamp";
  /** Header carrying {@code v1,<base64>} signatures, space-separated. */
  public static final String WEBHOOK_SIGNATURE = "webhook-signature";
  /** Header the worker also sends, equal to {@code webhook-id} (not signed: checked against it when present). */
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  /** Prefix of a Standard Webhooks secret; the rest is the key in base64. */
  public static final String SECRET_PREFIX = "whsec_";
  /** Largest clock difference accepted between the worker and the order service, in seconds (the library's). */
  public static final long MAX_SKEW_SECONDS = 300;

  private static final Pattern SECONDS = Pattern.compile("^\\d{1,12}$");
  /** The states a compensation's {@code tradeState} names. */
  private static final List<String> TRADE_STATES = List.of("CLOSED", "REVOKED", "REFUND", "NOT_FOUND");
  /** Why a sub-order is compensated. */
  private static final List<String> REASONS = List.of("PAYMENT_TIMEOUT", "CANCELLED");
  /** How the reverse ended. */
  private static final List<String> REVERSE_OUTCOMES = List.of("REVERSED", "ALREADY_CLOSED", "ORDER_NOT_FOUND", "NOT_NEEDED");

  private final Purpose purpose;
  private final List<Webhook> webhooks;

  /** What an endpoint of the order service receives: each purpose has its own {@code type} and id prefix. */
  public enum Purpose {
    /** {@code POST COMPENSATION_URL}: compensate one sub-order. */
    COMPENSATION("sub_order.compensate", "compensation:"),
    /** {@code POST PAYMENT_CONFIRMATION_URL}: an order adopted as paid ({@code onPaidAtDeadline: ADOPT}). */
    CONFIRMATION("order.paid", "confirmation:");

    private final String type;
    private final String idPrefix;

    Purpose(String type, String idPrefix) {
      this.type = type;
      this.idPrefix = idPrefix;
    }

    /**
     * The body's {@code type} for this purpose.
     *
     * @return {@code sub_order.compensate} or {@code order.paid}
     */
    public String type() {
      return type;
    }

    /**
     * How every {@code webhook-id} of this purpose starts.
     *
     * @return {@code compensation:} or {@code confirmation:}
     */
    public String idPrefix() {
      return idPrefix;
    }
  }

  /** Why a request was refused. */
  public enum Refusal {
    /** {@code webhook-id}, {@code webhook-timestamp} or {@code webhook-signature} is missing or empty. */
    MISSING_HEADER(401),
    /** The timestamp is not Unix seconds within ±300 s of now. */
    STALE_TIMESTAMP(401),
    /** No signature verifies with any of the secrets (or the body was changed). */
    BAD_SIGNATURE(401),
    /** Signed, but for the other endpoint: the {@code webhook-id} prefix or the body's {@code type} is another's. */
    WRONG_PURPOSE(400),
    /** Signed, but the body is not {@code { type, timestamp, data }} with this purpose's data fields. */
    BAD_BODY(400),
    /** Signed, but the {@code webhook-id} is not the one the data implies, or {@code Idempotency-Key} differs. */
    KEY_MISMATCH(400);

    private final int httpStatus;

    Refusal(int httpStatus) {
      this.httpStatus = httpStatus;
    }

    /**
     * The HTTP status to answer with. 401 tells the worker its signature is not (yet) accepted (it retries slowly,
     * e.g. during a secret rotation); 400 is a request that can never succeed here.
     *
     * @return 401 or 400
     */
    public int httpStatus() {
      return httpStatus;
    }
  }

  /**
   * A verified compensation's data.
   *
   * @param combineOutTradeNo the combined order
   * @param outTradeNo the sub-order to compensate
   * @param mchid its merchant
   * @param subMchid its secondary merchant
   * @param reason why the order was reversed, e.g. {@code PAYMENT_TIMEOUT}
   * @param reverseOutcome how the reverse ended
   * @param tradeState the sub-order's state as the confirming query saw it ({@code CLOSED}, {@code REVOKED},
   *     {@code REFUND}, {@code NOT_FOUND}), or null
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Compensation(
      String combineOutTradeNo,
      String outTradeNo,
      String mchid,
      String subMchid,
      String reason,
      String reverseOutcome,
      String tradeState) {}

  /**
   * A verified payment confirmation's data.
   *
   * @param combineOutTradeNo the combined order, kept as paid
   * @param source {@code WECHATPAY_QUERY}
   * @param subOrders its sub-orders
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record PaymentConfirmation(String combineOutTradeNo, String source, List<PaidSubOrder> subOrders) {}

  /**
   * One sub-order of a payment confirmation.
   *
   * @param outTradeNo the sub-order
   * @param mchid its merchant
   * @param subMchid its secondary merchant
   * @param transactionId WeChat Pay's transaction id, or null
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record PaidSubOrder(String outTradeNo, String mchid, String subMchid, String transactionId) {}

  /**
   * The verdict on one request.
   *
   * @param ok whether the request may be acted on
   * @param webhookId the verified {@code webhook-id}, the idempotency key (ok), else null
   * @param refusal why it was refused, else null
   * @param message what failed (never a secret), else null
   * @param data the verified body's {@code data} (ok), else null
   */
  public record Verdict(boolean ok, String webhookId, Refusal refusal, String message, JsonNode data) {
    static Verdict accepted(String webhookId, JsonNode data) {
      return new Verdict(true, webhookId, null, null, data);
    }

    static Verdict refused(Refusal refusal, String message) {
      return new Verdict(false, null, refusal, message, null);
    }

    /**
     * The verified compensation (a verdict of a {@link Purpose#COMPENSATION} verifier).
     *
     * @return its data
     * @throws IllegalStateException when the request was refused
     */
    public Compensation compensation() {
      return as(Compensation.class);
    }

    /**
     * The verified payment confirmation (a verdict of a {@link Purpose#CONFIRMATION} verifier).
     *
     * @return its data
     * @throws IllegalStateException when the request was refused
     */
    public PaymentConfirmation confirmation() {
      return as(PaymentConfirmation.class);
    }

    private <T> T as(Class<T> type) {
      if (!ok) throw new IllegalStateException("the request was refused: " + refusal);
      try {
        return OrderJson.MAPPER.treeToValue(data, type);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("verified data is not a " + type.getSimpleName(), e);
      }
    }
  }

  /**
   * A verifier for one purpose with one or more secrets (during a rotation, the old and the new one).
   *
   * @param purpose what the endpoint receives
   * @param secrets Standard Webhooks secrets, {@code whsec_<base64>}
   * @throws IllegalArgumentException when there is no secret or one is not {@code whsec_<base64>} (the message names
   *     its position, never its value)
   */
  public DownstreamVerifier(Purpose purpose, List<String> secrets) {
    this.purpose = Objects.requireNonNull(purpose, "purpose");
    if (Objects.requireNonNull(secrets, "secrets").isEmpty()) {
      throw new IllegalArgumentException("at least one secret (whsec_<base64>) is needed");
    }
    List<Webhook> hooks = new ArrayList<>();
    for (int i = 0; i < secrets.size(); i++) hooks.add(webhook(secrets.get(i), i + 1));
    this.webhooks = List.copyOf(hooks);
  }

  /**
   * A verifier of compensations.
   *
   * @param secrets one or more {@code whsec_<base64>} secrets
   * @return the verifier
   */
  public static DownstreamVerifier forCompensation(String... secrets) {
    return new DownstreamVerifier(Purpose.COMPENSATION, Arrays.asList(secrets));
  }

  /**
   * A verifier of payment confirmations.
   *
   * @param secrets one or more {@code whsec_<base64>} secrets
   * @return the verifier
   */
  public static DownstreamVerifier forConfirmation(String... secrets) {
    return new DownstreamVerifier(Purpose.CONFIRMATION, Arrays.asList(secrets));
  }

  /**
   * A verifier with the secrets as the worker's {@code COMPENSATION_HMAC_SECRET} holds them: space-separated.
   *
   * @param purpose what the endpoint receives
   * @param secrets e.g. {@code "whsec_new… whsec_old…"}
   * @return the verifier
   */
  public static DownstreamVerifier fromEnvironment(Purpose purpose, String secrets) {
    String text = secrets == null ? "" : secrets.trim();
    return new DownstreamVerifier(purpose, text.isEmpty() ? List.of() : List.of(text.split("\\s+")));
  }

  /**
   * The purpose this verifier accepts.
   *
   * @return the purpose
   */
  public Purpose purpose() {
    return purpose;
  }

  /**
   * Verifies a request.
   *
   * @param headers the request's headers, names in any case (the first value of a repeated header)
   * @param body the raw body text, exactly as received (UTF-8)
   * @return the verdict
   */
  public Verdict verify(Map<String, String> headers, String body) {
    String id = header(headers, WEBHOOK_ID);
    String timestamp = header(headers, WEBHOOK_TIMESTAMP);
    String signature = header(headers, WEBHOOK_SIGNATURE);
    if (id == null || timestamp == null || signature == null) {
      return Verdict.refused(
          Refusal.MISSING_HEADER, WEBHOOK_ID + ", " + WEBHOOK_TIMESTAMP + ", " + WEBHOOK_SIGNATURE + " are required");
    }
    // The library checks the time too, but tells its failures apart only by message: the code is decided here.
    if (!SECONDS.matcher(timestamp).matches()
        || Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(timestamp)) > MAX_SKEW_SECONDS) {
      return Verdict.refused(Refusal.STALE_TIMESTAMP, WEBHOOK_TIMESTAMP + " is not within ±300 s of now");
    }
    Map<String, List<String>> signed =
        Map.of(WEBHOOK_ID, List.of(id), WEBHOOK_TIMESTAMP, List.of(timestamp), WEBHOOK_SIGNATURE, List.of(signature));
    if (!signedByAny(body == null ? "" : body, signed)) {
      return Verdict.refused(Refusal.BAD_SIGNATURE, WEBHOOK_SIGNATURE + " does not verify with any secret");
    }
    JsonNode json;
    try {
      json = OrderJson.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(body == null ? "" : body);
    } catch (JsonProcessingException e) {
      json = null;
    }
    Verdict read = read(id, json);
    if (!read.ok()) return read;
    String key = header(headers, IDEMPOTENCY_KEY);
    if (key != null && !key.equals(id)) {
      return Verdict.refused(Refusal.KEY_MISMATCH, IDEMPOTENCY_KEY + " differs from " + WEBHOOK_ID);
    }
    return read;
  }

  /**
   * The purpose check of a signed request, without the signature: the {@code webhook-id} prefix and the body's
   * {@code type} this purpose's ({@code WRONG_PURPOSE}), the body {@code { type, timestamp, data }} with the purpose's
   * data fields ({@code BAD_BODY}), and the {@code webhook-id} the one the data implies ({@code KEY_MISMATCH}). Pure.
   *
   * @param id the request's {@code webhook-id}
   * @param body the parsed body, or null when it is not JSON
   * @return the verdict
   */
  Verdict read(String id, JsonNode body) {
    if (!id.startsWith(purpose.idPrefix())) {
      return Verdict.refused(Refusal.WRONG_PURPOSE, WEBHOOK_ID + " is not a " + purposeName() + "'s (" + purpose.idPrefix() + "…)");
    }
    if (body == null || !body.isObject()) {
      return Verdict.refused(Refusal.BAD_BODY, "the body must be a JSON object { type, timestamp, data }");
    }
    if (!purpose.type().equals(body.path("type").asText(null)) || !body.get("type").isTextual()) {
      return Verdict.refused(Refusal.WRONG_PURPOSE, "type must be \"" + purpose.type() + "\" for a " + purposeName());
    }
    if (!body.path("timestamp").isTextual() || IsoTime.epochMillis(body.get("timestamp").asText()) == null) {
      return Verdict.refused(Refusal.BAD_BODY, "timestamp must be an ISO-8601 string");
    }
    JsonNode data = body.path("data");
    String problem = data.isObject() ? (purpose == Purpose.COMPENSATION ? compensationProblem(data) : confirmationProblem(data)) : "data must be an object";
    if (problem != null) return Verdict.refused(Refusal.BAD_BODY, problem);
    String order = data.get("combineOutTradeNo").asText();
    String expected =
        purpose == Purpose.COMPENSATION
            ? purpose.idPrefix() + order + ":" + data.get("outTradeNo").asText()
            : purpose.idPrefix() + order;
    if (!id.equals(expected)) return Verdict.refused(Refusal.KEY_MISMATCH, WEBHOOK_ID + " is not the one the data implies");
    return Verdict.accepted(id, data);
  }

  private String purposeName() {
    return purpose.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** {@code { combineOutTradeNo, outTradeNo, mchid, subMchid, reason, reverseOutcome, tradeState? }}. */
  private static String compensationProblem(JsonNode data) {
    String missing = missingText(data, List.of("combineOutTradeNo", "outTradeNo", "mchid", "subMchid"), "data.");
    if (missing != null) return missing;
    if (!REASONS.contains(data.path("reason").asText(null)) || !data.get("reason").isTextual()) {
      return "data.reason must be one of " + String.join(", ", REASONS);
    }
    if (!REVERSE_OUTCOMES.contains(data.path("reverseOutcome").asText(null)) || !data.get("reverseOutcome").isTextual()) {
      return "data.reverseOutcome must be one of " + String.join(", ", REVERSE_OUTCOMES);
    }
    if (data.has("tradeState")
        && !(data.get("tradeState").isTextual() && TRADE_STATES.contains(data.get("tradeState").asText()))) {
      return "data.tradeState must be one of " + String.join(", ", TRADE_STATES);
    }
    return null;
  }

  /** {@code { combineOutTradeNo, source: "WECHATPAY_QUERY", subOrders: [{ outTradeNo, mchid, subMchid, transactionId? }] }}. */
  private static String confirmationProblem(JsonNode data) {
    String missing = missingText(data, List.of("combineOutTradeNo"), "data.");
    if (missing != null) return missing;
    if (!data.path("source").isTextual() || !"WECHATPAY_QUERY".equals(data.get("source").asText())) {
      return "data.source must be \"WECHATPAY_QUERY\"";
    }
    JsonNode subOrders = data.path("subOrders");
    if (!subOrders.isArray() || subOrders.isEmpty()) return "data.subOrders must be a non-empty array";
    for (int i = 0; i < subOrders.size(); i++) {
      JsonNode subOrder = subOrders.get(i);
      String bad = missingText(subOrder, List.of("outTradeNo", "mchid", "subMchid"), "data.subOrders[" + i + "].");
      if (bad != null) return bad;
      if (subOrder.has("transactionId") && !subOrder.get("transactionId").isTextual()) {
        return "data.subOrders[" + i + "].transactionId must be a string when present";
      }
    }
    return null;
  }

  /** The first of {@code fields} that is not a non-empty string, as a message naming it; null when all are. */
  private static String missingText(JsonNode value, List<String> fields, String prefix) {
    for (String field : fields) {
      JsonNode node = value.path(field);
      if (!node.isTextual() || node.asText().isEmpty()) return prefix + field + " must be a non-empty string";
    }
    return null;
  }

  /** Whether one of the secrets' libraries verifies the request (timestamp and signature). */
  private boolean signedByAny(String body, Map<String, List<String>> headers) {
    for (Webhook webhook : webhooks) {
      try {
        webhook.verify(body, headers);
        return true;
      } catch (WebhookVerificationException e) {
        // another secret may have signed it
      }
    }
    return false;
  }

  private static Webhook webhook(String secret, int position) {
    String problem = "secret " + position + " is not a Standard Webhooks secret (whsec_<base64>)";
    if (secret == null || !secret.startsWith(SECRET_PREFIX)) throw new IllegalArgumentException(problem);
    try {
      Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
      return new Webhook(secret);
    } catch (IllegalArgumentException | EmptyWebhookSecretException e) {
      // The decoder's message quotes a character of the secret: not passed on.
      throw new IllegalArgumentException(problem);
    }
  }

  /** A header's value whatever the case of its name; empty counts as missing. */
  private static String header(Map<String, String> headers, String name) {
    for (Map.Entry<String, String> entry : headers.entrySet()) {
      if (entry.getKey() != null && entry.getKey().equalsIgnoreCase(name)) {
        String value = entry.getValue();
        return value == null || value.isEmpty() ? null : value;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return "DownstreamVerifier[purpose=" + purpose + ", secrets=" + webhooks.size() + " (hidden)]";
  }
}
