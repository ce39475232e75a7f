package example.checkout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.standardwebhooks.Webhook;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The program's {@code verify} mode: one line per recorded request, as the endpoint of the purpose named would. */
class VerifyCommandTest {
  private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString("cli-test-key-0123456789".getBytes(StandardCharsets.UTF_8));
  private static final String OLD = "whsec_" + Base64.getEncoder().encodeToString("cli-test-key-before".getBytes(StandardCharsets.UTF_8));

  private static Map<String, Object> request(String id, String body, boolean signed) throws Exception {
    long ts = System.currentTimeMillis() / 1000;
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("webhook-id", id);
    headers.put("webhook-timestamp", Long.toString(ts));
    if (signed) headers.put("webhook-signature", new Webhook(OLD).sign(id, ts, body));
    return Map.of("headers", headers, "body", body);
  }

  @Test
  void printsOneVerdictPerRequestForThePurposeNamed(@TempDir Path dir) throws Exception {
    String compensation =
        "{\"type\":\"sub_order.compensate\",\"timestamp\":\"2026-12-03T08:00:00.000Z\",\"data\":{\"combineOutTradeNo\":\"P1\","
            + "\"outTradeNo\":\"P1S1\",\"mchid\":\"1900000109\",\"subMchid\":\"1900000001\",\"reason\":\"PAYMENT_TIMEOUT\","
            + "\"reverseOutcome\":\"REVERSED\"}}";
    String paid =
        "{\"type\":\"order.paid\",\"timestamp\":\"2026-12-03T08:00:00.000Z\",\"data\":{\"combineOutTradeNo\":\"P1\","
            + "\"source\":\"WECHATPAY_QUERY\",\"subOrders\":[{\"outTradeNo\":\"P1S1\",\"mchid\":\"1900000109\",\"subMchid\":\"1900000001\"}]}}";
    Path file = dir.resolve("requests.json");
    Files.writeString(
        file,
        OrderJson.write(
            List.of(
                request("compensation:P1:P1S1", compensation, true),
                request("confirmation:P1", paid, true),
                request("compensation:P1:P1S1", compensation, false))));
    String missing = "REFUSED_REQUEST MISSING_HEADER: webhook-id, webhook-timestamp, webhook-signature are required\n";
    Map<String, String> expected =
        Map.of(
            "compensation",
            "VERIFIED compensation:P1:P1S1\nREFUSED_REQUEST WRONG_PURPOSE: webhook-id is not a compensation's (compensation:…)\n" + missing,
            "confirmation",
            "REFUSED_REQUEST WRONG_PURPOSE: webhook-id is not a confirmation's (confirmation:…)\nVERIFIED confirmation:P1\n" + missing);
    for (Map.Entry<String, String> purpose : expected.entrySet()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      int code = Checkout.verify(purpose.getKey(), file, SECRET + " " + OLD, new Protocol(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
      String out = bytes.toString(StandardCharsets.UTF_8);
      assertEquals(0, code);
      assertEquals(purpose.getValue(), out);
      assertFalse(out.contains(SECRET.substring(6)) || out.contains(OLD.substring(6)));
    }
  }

  @Test
  void needsAPurposeAndStandardWebhooksSecrets(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("requests.json");
    Files.writeString(file, "[]");
    Protocol out = new Protocol(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertEquals(64, Checkout.verify("refund", file, SECRET, out));
    assertEquals(64, Checkout.verify("compensation", file, null, out));
    assertEquals(64, Checkout.verify("compensation", file, "a-plain-1.0-secret", out));
    assertEquals(0, Checkout.verify("CONFIRMATION", file, SECRET, out));
    assertEquals(64, Checkout.run(new String[] {"verify", file.toString()}, out));
  }
}
