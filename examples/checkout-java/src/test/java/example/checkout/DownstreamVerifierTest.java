package example.checkout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import example.checkout.DownstreamVerifier.Refusal;
import example.checkout.DownstreamVerifier.Verdict;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The order service's check of a signed request: valid, each refusal in its order, header case, key derivation. */
class DownstreamVerifierTest {
  private static final String SECRET = "test-secret-for-vectors";
  private static final long NOW = 1_796_280_000L;
  private static final String TS = Long.toString(NOW);
  private static final String KEY = "P1:P1S1";
  private static final String BODY = "{\"combineOutTradeNo\":\"P1\",\"outTradeNo\":\"P1S1\",\"reason\":\"PAYMENT_TIMEOUT\"}";

  private static DownstreamVerifier verifierAt(long epochSeconds) {
    Clock clock = Clock.fixed(Instant.ofEpochSecond(epochSeconds), ZoneOffset.UTC);
    return new DownstreamVerifier(SECRET.getBytes(StandardCharsets.UTF_8), clock);
  }

  private static String sign(String secret, String ts, String key, String body) {
    return DownstreamVerifier.signature(secret.getBytes(StandardCharsets.UTF_8), ts, key, body);
  }

  private static Map<String, String> headers(String key, String ts, String signature) {
    Map<String, String> headers = new HashMap<>();
    if (key != null) headers.put("Idempotency-Key", key);
    if (ts != null) headers.put("X-Compensation-Timestamp", ts);
    if (signature != null) headers.put("X-Compensation-Signature", signature);
    return headers;
  }

  private static Map<String, String> signed() {
    return headers(KEY, TS, sign(SECRET, TS, KEY, BODY));
  }

  @Test
  void acceptsASignedRequestWithItsKey() {
    Verdict verdict = verifierAt(NOW).verify(signed(), BODY, KEY);
    assertEquals(new Verdict(true, KEY, null, null), verdict);
    assertTrue(verifierAt(NOW + 299).verify(signed(), BODY).ok());
    assertTrue(verifierAt(NOW - 300).verify(signed(), BODY).ok());
  }

  @Test
  void readsHeaderNamesInAnyCase() {
    Map<String, String> lower = Map.of(
        "idempotency-key", KEY, "x-compensation-timestamp", TS, "x-compensation-signature", sign(SECRET, TS, KEY, BODY));
    Map<String, String> upper = Map.of(
        "IDEMPOTENCY-KEY", KEY, "X-COMPENSATION-TIMESTAMP", TS, "X-Compensation-SIGNATURE", sign(SECRET, TS, KEY, BODY));
    assertTrue(verifierAt(NOW).verify(lower, BODY, KEY).ok());
    assertTrue(verifierAt(NOW).verify(upper, BODY, KEY).ok());
  }

  @Test
  void refusesAMissingOrEmptyHeader() {
    String sig = sign(SECRET, TS, KEY, BODY);
    for (Map<String, String> h :
        List.of(headers(null, TS, sig), headers(KEY, null, sig), headers(KEY, TS, null), headers(KEY, TS, ""))) {
      Verdict verdict = verifierAt(NOW).verify(h, BODY, KEY);
      assertEquals(Refusal.MISSING_HEADER, verdict.refusal(), h.toString());
      assertEquals(
          "Idempotency-Key, X-Compensation-Timestamp, X-Compensation-Signature are required", verdict.message());
    }
  }

  @Test
  void refusesAStaleOrMalformedTimestamp() {
    assertEquals(Refusal.STALE_TIMESTAMP, verifierAt(NOW + 301).verify(signed(), BODY, KEY).refusal());
    assertEquals(Refusal.STALE_TIMESTAMP, verifierAt(NOW - 301).verify(signed(), BODY, KEY).refusal());
    for (String ts : new String[] {"-1", "1.5", "abc", "1234567890123", " " + TS}) {
      Verdict verdict = verifierAt(NOW).verify(headers(KEY, ts, sign(SECRET, ts, KEY, BODY)), BODY, KEY);
      assertEquals(Refusal.STALE_TIMESTAMP, verdict.refusal(), ts);
    }
    // Checked before the signature: a stale request with a bad signature is STALE_TIMESTAMP.
    assertEquals(
        Refusal.STALE_TIMESTAMP, verifierAt(NOW + 999).verify(headers(KEY, TS, "sha256=00"), BODY, KEY).refusal());
  }

  @Test
  void refusesASignatureThatDoesNotVerify() {
    String good = sign(SECRET, TS, KEY, BODY);
    String[] bad = {
      sign("another-secret", TS, KEY, BODY),
      sign(SECRET, TS, "P1:P1S2", BODY),
      good.substring(0, good.length() - 1) + (good.endsWith("0") ? "1" : "0"),
      "sha256=" + (good.charAt(7) == '0' ? "1" : "0") + good.substring(8),
      good.substring(0, good.length() - 2),
      good + "00",
      good.toUpperCase(),
      good.substring("sha256=".length()),
    };
    for (String signature : bad) {
      Verdict verdict = verifierAt(NOW).verify(headers(KEY, TS, signature), BODY, KEY);
      assertEquals(Refusal.BAD_SIGNATURE, verdict.refusal(), signature);
      assertEquals("X-Compensation-Signature does not verify", verdict.message());
    }
    Verdict changedBody = verifierAt(NOW).verify(signed(), BODY.replace("P1S1", "P1S2"), KEY);
    assertEquals(Refusal.BAD_SIGNATURE, changedBody.refusal());
    // A key sent under another body's signature is a bad signature, not a key mismatch.
    assertEquals(Refusal.BAD_SIGNATURE, verifierAt(NOW).verify(headers("P1:P1S2", TS, good), BODY, KEY).refusal());
  }

  @Test
  void refusesAKeyTheBodyDoesNotImply() {
    Verdict verdict = verifierAt(NOW).verify(signed(), BODY, "P1:P1S9");
    assertEquals(Refusal.KEY_MISMATCH, verdict.refusal());
    assertEquals(400, verdict.refusal().httpStatus());
    assertEquals(401, Refusal.BAD_SIGNATURE.httpStatus());
  }

  @Test
  void derivesTheExpectedKeyFromTheBody() {
    assertEquals(Optional.of("P1:P1S1"), DownstreamVerifier.expectedIdempotencyKey(BODY));
    String confirmation =
        "{\"combineOutTradeNo\":\"P1\",\"source\":\"WECHATPAY_QUERY\",\"subOrders\":[{\"outTradeNo\":\"P1S1\"}]}";
    assertEquals(Optional.of("P1:paid"), DownstreamVerifier.expectedIdempotencyKey(confirmation));
    assertEquals(Optional.empty(), DownstreamVerifier.expectedIdempotencyKey("not json"));
    assertEquals(Optional.empty(), DownstreamVerifier.expectedIdempotencyKey("{\"outTradeNo\":\"P1S1\"}"));
    assertEquals(Optional.empty(), DownstreamVerifier.expectedIdempotencyKey("[1]"));
  }

  /** Vectors signed by the TypeScript worker's own function (activities/downstream.ts), verified by the TS sample. */
  @Test
  void verifiesVectorsSignedByTheTypeScriptWorker() {
    String ts = "1796280000";
    String compensation =
        "{\"combineOutTradeNo\":\"JV20261203A\",\"outTradeNo\":\"JV20261203AS1\",\"mchid\":\"1900000109\","
            + "\"subMchid\":\"1900000001\",\"reason\":\"PAYMENT_TIMEOUT\",\"reverseOutcome\":\"REVERSED\","
            + "\"tradeState\":\"CLOSED\"}";
    String compensationSig = "sha256=30c1f4cfb927b17e8ef5809a0aebf78a381ae5a95263b095e8496a54538ee4f7";
    String confirmation =
        "{\"combineOutTradeNo\":\"JV20261203A\",\"source\":\"WECHATPAY_QUERY\",\"subOrders\":[{\"outTradeNo\":"
            + "\"JV20261203AS1\",\"mchid\":\"1900000109\",\"subMchid\":\"1900000001\",\"transactionId\":\"4200000001\"}]}";
    String confirmationSig = "sha256=d633e720be8f1a7021dda98e7d733efa99a933e454fdcab16f9032d9201ed473";
    DownstreamVerifier verifier = verifierAt(1_796_280_120L);

    String key = DownstreamVerifier.expectedIdempotencyKey(compensation).orElseThrow();
    assertEquals("JV20261203A:JV20261203AS1", key);
    assertEquals(compensationSig, sign(SECRET, ts, key, compensation));
    assertEquals(new Verdict(true, key, null, null), verifier.verify(headers(key, ts, compensationSig), compensation, key));

    String paidKey = DownstreamVerifier.expectedIdempotencyKey(confirmation).orElseThrow();
    assertEquals("JV20261203A:paid", paidKey);
    assertTrue(verifier.verify(headers(paidKey, ts, confirmationSig), confirmation, paidKey).ok());
    assertEquals(
        Refusal.KEY_MISMATCH,
        verifier.verify(headers(paidKey, ts, confirmationSig), confirmation, "JV20261203A:JV20261203AS1").refusal());
  }

  @Test
  void neverShowsTheSecret() {
    DownstreamVerifier verifier = verifierAt(NOW);
    assertFalse(verifier.toString().contains(SECRET));
    for (Map<String, String> h :
        List.of(signed(), headers(KEY, TS, "sha256=00"), headers(KEY, "1", "x"), Map.<String, String>of())) {
      Verdict verdict = verifier.verify(h, BODY, "P1:other");
      assertFalse(String.valueOf(verdict).contains(SECRET));
    }
  }
}
