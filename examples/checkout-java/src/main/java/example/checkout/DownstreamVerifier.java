package example.checkout;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * For the order service: checks a compensation or payment confirmation the worker sent, before acting on it. The
 * three headers must be present (names in any case), the timestamp ({@code X-Compensation-Timestamp}, Unix seconds)
 * within ±300 s of now, the signature ({@code X-Compensation-Signature: sha256=<hex HMAC-SHA256 with the shared
 * secret over "<timestamp>.<Idempotency-Key>.<body>">}) must match in constant time, and the {@code Idempotency-Key}
 * must be the one the body implies when the caller says which ({@link #expectedIdempotencyKey(JsonNode)}).
 * Deduplicating by the key stays the service's job: answer 409 (or the first answer again) for a key already done.
 *
 * <pre>{@code
 * DownstreamVerifier verifier = DownstreamVerifier.withSecret(System.getenv("COMPENSATION_HMAC_SECRET"));
 * Verdict verdict = verifier.verify(headers, rawBody, DownstreamVerifier.expectedIdempotencyKey(rawBody).orElse(null));
 * if (!verdict.ok()) return respond(verdict.refusal().httpStatus(), verdict.message());
 * }</pre>
 */
public final class DownstreamVerifier {
  /** Header naming the request's idempotency key. */
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  /** Header carrying the signing time, Unix seconds. */
  public static final String TIMESTAMP = "X-Compensation-Timestamp";
  /** Header carrying {@code sha256=<hex>}. */
  public static final String SIGNATURE = "X-Compensation-Signature";
  /** Largest clock difference accepted between the worker and the order service, in seconds. */
  public static final long MAX_SKEW_SECONDS = 300;

  private static final Pattern SECONDS = Pattern.compile("^\\d{1,12}$");
  private final byte[] secret;
  private final Clock clock;

  /** Why a request was refused. */
  public enum Refusal {
    /** A header is missing or empty. */
    MISSING_HEADER,
    /** The timestamp is not within ±300 s of now (or not a number of seconds). */
    STALE_TIMESTAMP,
    /** The signature does not verify with the shared secret. */
    BAD_SIGNATURE,
    /** Signed, but the Idempotency-Key is not the one the body implies. */
    KEY_MISMATCH;

    /**
     * The HTTP status to answer with.
     *
     * @return 400 for KEY_MISMATCH, 401 for the others
     */
    public int httpStatus() {
      return this == KEY_MISMATCH ? 400 : 401;
    }
  }

  /**
   * The verdict on one request.
   *
   * @param ok whether the request may be acted on
   * @param idempotencyKey the verified key (ok), else null
   * @param refusal why it was refused, else null
   * @param message a message naming what failed (never the secret), else null
   */
  public record Verdict(boolean ok, String idempotencyKey, Refusal refusal, String message) {
    static Verdict accepted(String key) {
      return new Verdict(true, key, null, null);
    }

    static Verdict refused(Refusal refusal, String message) {
      return new Verdict(false, null, refusal, message);
    }
  }

  /**
   * A verifier with the shared secret and the system clock.
   *
   * @param secret the shared secret's bytes ({@code COMPENSATION_HMAC_SECRET} as UTF-8)
   */
  public DownstreamVerifier(byte[] secret) {
    this(secret, Clock.systemUTC());
  }

  /**
   * A verifier with the shared secret and a clock (tests).
   *
   * @param secret the shared secret's bytes
   * @param clock the clock the timestamp is checked against
   */
  public DownstreamVerifier(byte[] secret, Clock clock) {
    if (Objects.requireNonNull(secret, "secret").length == 0) throw new IllegalArgumentException("empty secret");
    this.secret = secret.clone();
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * A verifier with a text secret (as the worker's {@code COMPENSATION_HMAC_SECRET} is).
   *
   * @param secret the shared secret
   * @return the verifier
   */
  public static DownstreamVerifier withSecret(String secret) {
    return new DownstreamVerifier(Objects.requireNonNull(secret, "secret").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Verifies a request; checks in this order: headers present, timestamp fresh, signature, expected key.
   *
   * @param headers the request's headers, names in any case (the first value of a repeated header)
   * @param body the raw body text, exactly as received
   * @param expectedIdempotencyKey the key the body implies, or null not to check it
   * @return the verdict
   */
  public Verdict verify(Map<String, String> headers, String body, String expectedIdempotencyKey) {
    String timestamp = header(headers, TIMESTAMP);
    String signature = header(headers, SIGNATURE);
    String key = header(headers, IDEMPOTENCY_KEY);
    if (timestamp == null || signature == null || key == null) {
      return Verdict.refused(
          Refusal.MISSING_HEADER, IDEMPOTENCY_KEY + ", " + TIMESTAMP + ", " + SIGNATURE + " are required");
    }
    if (!SECONDS.matcher(timestamp).matches()
        || Math.abs(clock.millis() / 1000.0 - Long.parseLong(timestamp)) > MAX_SKEW_SECONDS) {
      return Verdict.refused(Refusal.STALE_TIMESTAMP, TIMESTAMP + " is not within ±300 s of now");
    }
    byte[] expected = signature(secret, timestamp, key, body).getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.UTF_8))) {
      return Verdict.refused(Refusal.BAD_SIGNATURE, SIGNATURE + " does not verify");
    }
    if (expectedIdempotencyKey != null && !key.equals(expectedIdempotencyKey)) {
      return Verdict.refused(Refusal.KEY_MISMATCH, IDEMPOTENCY_KEY + " does not match the body");
    }
    return Verdict.accepted(key);
  }

  /**
   * Verifies a request without checking the key against the body.
   *
   * @param headers the request's headers
   * @param body the raw body text
   * @return the verdict
   */
  public Verdict verify(Map<String, String> headers, String body) {
    return verify(headers, body, null);
  }

  /**
   * The signature header's value for a request: {@code sha256=<hex HMAC-SHA256 over "<ts>.<key>.<body>">}. What the
   * worker sends; for tests and for services that sign requests the same way.
   *
   * @param secret the shared secret's bytes
   * @param timestamp Unix seconds, as sent
   * @param idempotencyKey the key, as sent
   * @param body the raw body
   * @return the header value
   */
  public static String signature(byte[] secret, String timestamp, String idempotencyKey, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      String signed = timestamp + "." + idempotencyKey + "." + body;
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /**
   * The Idempotency-Key a body implies: {@code <combineOutTradeNo>:<outTradeNo>} for a compensation, {@code
   * <combineOutTradeNo>:paid} for a payment confirmation (which has no top-level outTradeNo).
   *
   * @param body the parsed body
   * @return the key, or empty when the body names no order
   */
  public static Optional<String> expectedIdempotencyKey(JsonNode body) {
    JsonNode order = body == null ? null : body.get("combineOutTradeNo");
    if (order == null || !order.isTextual()) return Optional.empty();
    JsonNode subOrder = body.get("outTradeNo");
    if (subOrder != null && subOrder.isTextual()) return Optional.of(order.asText() + ":" + subOrder.asText());
    return Optional.of(order.asText() + ":paid");
  }

  /**
   * The Idempotency-Key a raw body implies.
   *
   * @param body the raw body text
   * @return the key, or empty when the body is not JSON or names no order
   */
  public static Optional<String> expectedIdempotencyKey(String body) {
    try {
      return expectedIdempotencyKey(OrderJson.MAPPER.readTree(body));
    } catch (Exception e) {
      return Optional.empty();
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
    return "DownstreamVerifier[secret=(hidden), clock=" + clock + "]";
  }
}
