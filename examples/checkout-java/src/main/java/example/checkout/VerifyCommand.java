package example.checkout;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code verify} mode: checks recorded order-service requests with {@link DownstreamVerifier}, as the endpoint of
 * one purpose would. The file holds a JSON array of {@code {"headers": {name: value}, "body": "<raw body text>"}};
 * each request prints {@code VERIFIED <webhook-id>} or {@code REFUSED_REQUEST <CODE>: <message>}, in order.
 */
final class VerifyCommand {
  private final DownstreamVerifier verifier;
  private final Protocol out;

  VerifyCommand(DownstreamVerifier verifier, Protocol out) {
    this.verifier = verifier;
    this.out = out;
  }

  /** Verifies every request of the file. */
  void run(Path file) throws IOException {
    JsonNode requests = OrderJson.MAPPER.readTree(Files.readString(file));
    if (!requests.isArray()) throw new IOException(file + " must hold a JSON array of {headers, body}");
    for (JsonNode request : requests) {
      DownstreamVerifier.Verdict verdict =
          verifier.verify(headers(request.path("headers")), request.path("body").asText(""));
      if (verdict.ok()) out.line("VERIFIED", verdict.webhookId());
      else out.line("REFUSED_REQUEST", verdict.refusal() + ": " + verdict.message());
    }
  }

  /** The headers object as a map; a header given as an array counts with its first value. */
  private static Map<String, String> headers(JsonNode node) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : node.properties()) {
      JsonNode value = entry.getValue().isArray() ? entry.getValue().path(0) : entry.getValue();
      if (!value.isMissingNode() && !value.isNull()) headers.put(entry.getKey(), value.asText());
    }
    return headers;
  }
}
