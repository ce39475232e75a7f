package example.checkout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.standardwebhooks.Webhook;
import example.checkout.DownstreamVerifier.Compensation;
import example.checkout.DownstreamVerifier.PaidSubOrder;
import example.checkout.DownstreamVerifier.PaymentConfirmation;
import example.checkout.DownstreamVerifier.Purpose;
import example.checkout.DownstreamVerifier.Refusal;
import example.checkout.DownstreamVerifier.Verdict;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The order service's check of a Standard Webhooks request: requests signed here with the library, each refusal in
 * its order, header case, secret rotation, the purpose (a compensation never verifies as a confirmation), and vectors
 * computed without the library (OpenSSL, and javax.crypto) to prove the wire format.
 */
class DownstreamVerifierTest {
  private static final String KEY_TEXT = "order-service-test-key-0123456789";
  private static final String SECRET = secretOf(KEY_TEXT);
  private static final String OLD_SECRET = secretOf("the-secret-before-the-rotation");

  private static String secretOf(String key) {
    return "whsec_" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8));
  }

  private static String compensation(String order, String subOrder) {
    return "{\"type\":\"sub_order.compensate\",\"timestamp\":\"2026-12-03T08:00:00.000Z\",\"data\":{"
        + "\"combineOutTradeNo\":\"" + order + "\",\"outTradeNo\":\"" + subOrder + "\",\"mchid\":\"1900000109\","
        + "\"subMchid\":\"1900000001\",\"reason\":\"PAYMENT_TIMEOUT\",\"reverseOutcome\":\"REVERSED\","
        + "\"tradeState\":\"CLOSED\"}}";
  }

  private static String confirmation(String order) {
    return "{\"type\":\"order.paid\",\"timestamp\":\"2026-12-03T08:00:00.000Z\",\"data\":{"
        + "\"combineOutTradeNo\":\"" + order + "\",\"source\":\"WECHATPAY_QUERY\",\"subOrders\":[{\"outTradeNo\":\""
        + order + "S1\",\"mchid\":\"1900000109\",\"subMchid\":\"1900000001\",\"transactionId\":\"4200000001\"},"
        + "{\"outTradeNo\":\"" + order + "S2\",\"mchid\":\"1900000109\",\"subMchid\":\"1900000002\"}]}}";
  }

  private static final String ID = "compensation:P1:P1S1";
  private static final String BODY = compensation("P1", "P1S1");

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  /** The signature header as the worker sends it: one {@code v1,…} per secret, signed by the library. */
  private static String sign(String id, long ts, String body, String... secrets) {
    StringBuilder header = new StringBuilder();
    for (String secret : secrets) {
      try {
        header.append(header.length() == 0 ? "" : " ").append(new Webhook(secret).sign(id, ts, body));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    return header.toString();
  }

  private static Map<String, String> headers(String id, String ts, String signature) {
    Map<String, String> headers = new HashMap<>();
    if (id != null) headers.put("webhook-id", id);
    if (ts != null) headers.put("webhook-timestamp", ts);
    if (signature != null) headers.put("webhook-signature", signature);
    if (id != null) headers.put("Idempotency-Key", id);
    return headers;
  }

  private static Map<String, String> signed(String id, String body, String... secrets) {
    long ts = now();
    return headers(id, Long.toString(ts), sign(id, ts, body, secrets));
  }

  private static final DownstreamVerifier COMPENSATIONS = DownstreamVerifier.forCompensation(SECRET);
  private static final DownstreamVerifier CONFIRMATIONS = DownstreamVerifier.forConfirmation(SECRET);

  @Test
  void acceptsASignedCompensationAndReadsItsData() {
    Verdict verdict = COMPENSATIONS.verify(signed(ID, BODY, SECRET), BODY);
    assertTrue(verdict.ok(), String.valueOf(verdict));
    assertEquals(ID, verdict.webhookId());
    assertEquals(
        new Compensation("P1", "P1S1", "1900000109", "1900000001", "PAYMENT_TIMEOUT", "REVERSED", "CLOSED"),
        verdict.compensation());
    // Idempotency-Key is optional (webhook-id is the key); a body without tradeState is still a compensation.
    Map<String, String> noKey = signed(ID, BODY, SECRET);
    noKey.remove("Idempotency-Key");
    assertTrue(COMPENSATIONS.verify(noKey, BODY).ok());
    String noState = BODY.replace(",\"tradeState\":\"CLOSED\"", "");
    assertNull(COMPENSATIONS.verify(signed(ID, noState, SECRET), noState).compensation().tradeState());
  }

  @Test
  void acceptsASignedPaymentConfirmationAndReadsItsData() {
    String body = confirmation("P2");
    Verdict verdict = CONFIRMATIONS.verify(signed("confirmation:P2", body, SECRET), body);
    assertTrue(verdict.ok(), String.valueOf(verdict));
    assertEquals("confirmation:P2", verdict.webhookId());
    PaymentConfirmation paid = verdict.confirmation();
    assertEquals("WECHATPAY_QUERY", paid.source());
    assertEquals(
        List.of(
            new PaidSubOrder("P2S1", "1900000109", "1900000001", "4200000001"),
            new PaidSubOrder("P2S2", "1900000109", "1900000002", null)),
        paid.subOrders());
    assertThrows(IllegalStateException.class, () -> CONFIRMATIONS.verify(Map.of(), body).confirmation());
  }

  @Test
  void acceptsAnySecretOfARotation() {
    // The worker holds both secrets during a rotation and signs with each; the service may hold either or both.
    Map<String, String> both = signed(ID, BODY, SECRET, OLD_SECRET);
    assertTrue(DownstreamVerifier.forCompensation(SECRET).verify(both, BODY).ok());
    assertTrue(DownstreamVerifier.forCompensation(OLD_SECRET).verify(both, BODY).ok());
    Map<String, String> oldOnly = signed(ID, BODY, OLD_SECRET);
    assertTrue(DownstreamVerifier.forCompensation(SECRET, OLD_SECRET).verify(oldOnly, BODY).ok());
    assertTrue(
        DownstreamVerifier.fromEnvironment(Purpose.COMPENSATION, "  " + SECRET + "   " + OLD_SECRET + "\n")
            .verify(oldOnly, BODY)
            .ok());
    assertEquals(Refusal.BAD_SIGNATURE, DownstreamVerifier.forCompensation(SECRET).verify(oldOnly, BODY).refusal());
  }

  @Test
  void readsHeaderNamesInAnyCase() {
    Map<String, String> upper = new HashMap<>();
    signed(ID, BODY, SECRET).forEach((k, v) -> upper.put(k.toUpperCase(), v));
    assertTrue(COMPENSATIONS.verify(upper, BODY).ok());
    Map<String, String> canonical = new HashMap<>();
    signed(ID, BODY, SECRET).forEach((k, v) -> canonical.put(k.equals("webhook-id") ? "Webhook-Id" : k, v));
    assertTrue(COMPENSATIONS.verify(canonical, BODY).ok());
  }

  @Test
  void refusesAMissingOrEmptyHeader() {
    String ts = Long.toString(now());
    String sig = sign(ID, now(), BODY, SECRET);
    for (Map<String, String> h :
        List.of(
            headers(null, ts, sig), headers(ID, null, sig), headers(ID, ts, null), headers(ID, ts, ""),
            headers(ID, "", sig))) {
      Verdict verdict = COMPENSATIONS.verify(h, BODY);
      assertEquals(Refusal.MISSING_HEADER, verdict.refusal(), h.toString());
      assertEquals("webhook-id, webhook-timestamp, webhook-signature are required", verdict.message());
      assertEquals(401, verdict.refusal().httpStatus());
    }
  }

  @Test
  void refusesAStaleOrMalformedTimestamp() {
    for (long ts : new long[] {now() - 400, now() + 400}) {
      Verdict verdict = COMPENSATIONS.verify(headers(ID, Long.toString(ts), sign(ID, ts, BODY, SECRET)), BODY);
      assertEquals(Refusal.STALE_TIMESTAMP, verdict.refusal(), Long.toString(ts - now()));
    }
    long recent = now() - 250;
    assertTrue(COMPENSATIONS.verify(headers(ID, Long.toString(recent), sign(ID, recent, BODY, SECRET)), BODY).ok());
    String sig = sign(ID, now(), BODY, SECRET);
    for (String ts : new String[] {"-1", "1.5", "abc", "1234567890123", " " + now(), "+" + now()}) {
      assertEquals(Refusal.STALE_TIMESTAMP, COMPENSATIONS.verify(headers(ID, ts, sig), BODY).refusal(), ts);
    }
    // Checked before the signature: a stale request with a bad signature is STALE_TIMESTAMP.
    assertEquals(
        Refusal.STALE_TIMESTAMP,
        COMPENSATIONS.verify(headers(ID, Long.toString(now() - 999), "v1,AAAA"), BODY).refusal());
  }

  @Test
  void refusesASignatureThatDoesNotVerify() {
    long ts = now();
    String good = sign(ID, ts, BODY, SECRET);
    String mac = good.substring("v1,".length());
    String[] bad = {
      sign(ID, ts, BODY, OLD_SECRET),
      sign("compensation:P1:P1S2", ts, BODY, SECRET),
      sign(ID, ts - 1, BODY, SECRET),
      "v1," + (mac.charAt(0) == 'A' ? "B" : "A") + mac.substring(1),
      good.substring(0, good.length() - 2),
      good + "AA",
      "v2," + mac,
      "v1a," + mac,
      mac,
      "v1," + mac.toLowerCase(),
    };
    for (String signature : bad) {
      Verdict verdict = COMPENSATIONS.verify(headers(ID, Long.toString(ts), signature), BODY);
      assertEquals(Refusal.BAD_SIGNATURE, verdict.refusal(), signature);
      assertEquals("webhook-signature does not verify with any secret", verdict.message());
    }
    Map<String, String> sent = headers(ID, Long.toString(ts), good);
    assertEquals(Refusal.BAD_SIGNATURE, COMPENSATIONS.verify(sent, BODY.replace("P1S1", "P1S2")).refusal());
    assertEquals(Refusal.BAD_SIGNATURE, COMPENSATIONS.verify(sent, BODY + " ").refusal());
    // Another request's id under this signature: the id is signed.
    Map<String, String> otherId = headers("compensation:P1:P1S2", Long.toString(ts), good);
    assertEquals(Refusal.BAD_SIGNATURE, COMPENSATIONS.verify(otherId, BODY).refusal());
  }

  @Test
  void refusesAnIdempotencyKeyThatIsNotTheWebhookId() {
    Map<String, String> h = signed(ID, BODY, SECRET);
    h.put("idempotency-key", "compensation:P1:P1S2");
    h.remove("Idempotency-Key");
    Verdict verdict = COMPENSATIONS.verify(h, BODY);
    assertEquals(Refusal.KEY_MISMATCH, verdict.refusal());
    assertEquals(400, verdict.refusal().httpStatus());
  }

  /** A case of the purpose check: a request signed with the right secret, and the refusal expected. */
  private record Case(String name, String id, String body, Refusal refusal) {}

  private static void expectRefusals(DownstreamVerifier verifier, List<Case> cases) {
    for (Case c : cases) {
      Verdict verdict = verifier.verify(signed(c.id(), c.body(), SECRET), c.body());
      assertEquals(c.refusal(), verdict.refusal(), c.name() + ": " + verdict);
      assertEquals(400, verdict.refusal().httpStatus(), c.name());
    }
  }

  @Test
  void refusesARequestOfAnotherPurpose() {
    String paid = confirmation("P1");
    // A compensation at the confirmation endpoint, and the other way round: signed, but not this endpoint's.
    Verdict atConfirmation = CONFIRMATIONS.verify(signed(ID, BODY, SECRET), BODY);
    assertEquals(Refusal.WRONG_PURPOSE, atConfirmation.refusal());
    assertEquals("webhook-id is not a confirmation's (confirmation:…)", atConfirmation.message());
    assertEquals(
        Refusal.WRONG_PURPOSE, COMPENSATIONS.verify(signed("confirmation:P1", paid, SECRET), paid).refusal());

    // A sub-order named "paid" is a compensation like any other, never a confirmation of its order.
    String paidSubOrder = compensation("P1", "paid");
    Map<String, String> h = signed("compensation:P1:paid", paidSubOrder, SECRET);
    assertTrue(COMPENSATIONS.verify(h, paidSubOrder).ok());
    assertEquals(Refusal.WRONG_PURPOSE, CONFIRMATIONS.verify(h, paidSubOrder).refusal());

    expectRefusals(
        COMPENSATIONS,
        List.of(
            new Case("the 1.0 key form", "P1:P1S1", BODY, Refusal.WRONG_PURPOSE),
            new Case("a confirmation's id", "confirmation:P1", BODY, Refusal.WRONG_PURPOSE),
            new Case("no type", ID, BODY.replace("\"type\":\"sub_order.compensate\",", ""), Refusal.WRONG_PURPOSE),
            new Case("another type", ID, BODY.replace("sub_order.compensate", "order.paid"), Refusal.WRONG_PURPOSE),
            new Case("not JSON", ID, "compensate P1S1", Refusal.BAD_BODY),
            new Case("a JSON array", ID, "[" + BODY + "]", Refusal.BAD_BODY),
            new Case("trailing text", ID, BODY + " x", Refusal.BAD_BODY),
            new Case("no timestamp", ID, BODY.replace("\"timestamp\":\"2026-12-03T08:00:00.000Z\",", ""), Refusal.BAD_BODY),
            new Case("a timestamp not ISO", ID, BODY.replace("2026-12-03T08:00:00.000Z", "yesterday"), Refusal.BAD_BODY),
            new Case("no data", ID, "{\"type\":\"sub_order.compensate\",\"timestamp\":\"2026-12-03T08:00:00Z\"}", Refusal.BAD_BODY),
            new Case("data not an object", ID, BODY.replaceAll("\"data\":\\{.*\\}\\}$", "\"data\":[]}"), Refusal.BAD_BODY),
            new Case("no subMchid", ID, BODY.replace("\"subMchid\":\"1900000001\",", ""), Refusal.BAD_BODY),
            new Case("a field named in another case", ID, BODY.replace("\"subMchid\"", "\"SubMchid\""), Refusal.BAD_BODY),
            new Case("an empty outTradeNo", "compensation:P1:", compensation("P1", ""), Refusal.BAD_BODY),
            new Case("an unknown tradeState", ID, BODY.replace("CLOSED", "SUCCESS"), Refusal.BAD_BODY),
            new Case("an unknown reason", ID, BODY.replace("PAYMENT_TIMEOUT", "LATER"), Refusal.BAD_BODY),
            new Case("a reason not a string", ID, BODY.replace("\"PAYMENT_TIMEOUT\"", "1"), Refusal.BAD_BODY),
            new Case("an unknown reverseOutcome", ID, BODY.replace("\"REVERSED\"", "\"DONE\""), Refusal.BAD_BODY),
            new Case("another sub-order's id", "compensation:P1:P1S2", BODY, Refusal.KEY_MISMATCH),
            new Case("another order's id", "compensation:P9:P1S1", BODY, Refusal.KEY_MISMATCH)));
    expectRefusals(
        CONFIRMATIONS,
        List.of(
            new Case("the 1.0 key form", "P1:paid", paid, Refusal.WRONG_PURPOSE),
            new Case("a compensation's id", "compensation:P1", paid, Refusal.WRONG_PURPOSE),
            new Case("another source", "confirmation:P1", paid.replace("WECHATPAY_QUERY", "MARK_PAID"), Refusal.BAD_BODY),
            new Case(
                "no sub-orders",
                "confirmation:P1",
                paid.replaceAll("\"subOrders\":\\[.*\\]", "\"subOrders\":[]"),
                Refusal.BAD_BODY),
            new Case(
                "a sub-order without mchid",
                "confirmation:P1",
                paid.replaceFirst("\"mchid\":\"1900000109\",", ""),
                Refusal.BAD_BODY),
            new Case(
                "a transactionId as a number",
                "confirmation:P1",
                paid.replace("\"4200000001\"", "4200000001"),
                Refusal.BAD_BODY),
            new Case("another order's id", "confirmation:P2", paid, Refusal.KEY_MISMATCH)));
  }

  /**
   * A vector computed without the library: {@code printf '%s' "<id>.<ts>.<body>" | openssl dgst -sha256 -mac HMAC
   * -macopt hexkey:<hex of the key> -binary | base64}. The same vector is in the Go template's tests.
   */
  @Test
  void signsAsOpensslComputesIt() throws Exception {
    String secret = "whsec_Y2hlY2tvdXQtdGVtcGxhdGUtaW50ZXJvcC1rZXktMDE="; // "checkout-template-interop-key-01"
    String id = "compensation:P20261127001:P20261127001S1";
    long ts = 1_796_280_000L;
    String body =
        "{\"type\":\"sub_order.compensate\",\"timestamp\":\"2026-12-01T08:00:00.000Z\",\"data\":{\"combineOutTradeNo\":"
            + "\"P20261127001\",\"outTradeNo\":\"P20261127001S1\",\"mchid\":\"1900000109\",\"subMchid\":\"1900000001\","
            + "\"reason\":\"PAYMENT_TIMEOUT\",\"reverseOutcome\":\"REVERSED\",\"tradeState\":\"CLOSED\"}}";
    assertEquals("v1,wYDiV78R1FdyRsz+sBARusMWLFjCNX//SQLgzEPq18c=", new Webhook(secret).sign(id, ts, body));
  }

  /** A fresh request signed with javax.crypto alone (no library) verifies: the wire format is the specification's. */
  @Test
  void verifiesARequestSignedWithoutTheLibrary() throws Exception {
    long ts = now();
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(KEY_TEXT.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String signature =
        Base64.getEncoder()
            .encodeToString(mac.doFinal((ID + "." + ts + "." + BODY).getBytes(StandardCharsets.UTF_8)));
    assertTrue(COMPENSATIONS.verify(headers(ID, Long.toString(ts), "v1," + signature), BODY).ok());
    // Non-ASCII text in the body (here a field this template does not know) is signed as its UTF-8 bytes.
    String body = BODY.replace("\"tradeState\"", "\"note\":\"超时未支付\",\"tradeState\"");
    String utf8 =
        Base64.getEncoder().encodeToString(mac.doFinal((ID + "." + ts + "." + body).getBytes(StandardCharsets.UTF_8)));
    assertTrue(COMPENSATIONS.verify(headers(ID, Long.toString(ts), "v1," + utf8), body).ok());
  }

  @Test
  void refusesSecretsThatAreNotStandardWebhooksSecretsWithoutShowingThem() {
    for (String secret : new String[] {"plain-1.0-secret", "whsec_", "whsec_%%%not-base64", "Y2hlY2s="}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> DownstreamVerifier.forCompensation(SECRET, secret));
      assertEquals("secret 2 is not a Standard Webhooks secret (whsec_<base64>)", e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> DownstreamVerifier.fromEnvironment(Purpose.CONFIRMATION, " "));
    assertThrows(IllegalArgumentException.class, () -> DownstreamVerifier.fromEnvironment(Purpose.CONFIRMATION, null));
  }

  @Test
  void neverShowsTheSecret() {
    assertFalse(COMPENSATIONS.toString().contains(SECRET));
    assertFalse(COMPENSATIONS.toString().contains(SECRET.substring(6)));
    long ts = now();
    for (Map<String, String> h :
        List.of(
            signed(ID, BODY, SECRET), headers(ID, Long.toString(ts), "v1,AAAA"), headers(ID, "1", "x"),
            Map.<String, String>of())) {
      for (DownstreamVerifier verifier : List.of(COMPENSATIONS, CONFIRMATIONS)) {
        String verdict = String.valueOf(verifier.verify(h, BODY));
        assertFalse(verdict.contains(SECRET.substring(6)), verdict);
      }
    }
  }
}
