package example.checkout;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validation of the order input against the JSON Schema the product ships ({@code order-input.schema.json}, draft
 * 2020-12, a resource of this jar: a verbatim copy of the project's {@code schema/order-input.schema.json}). It checks
 * the input's shape (fields, patterns, limits); the workflow validates the rest (unique sub-orders, the pay window
 * floor) and fails with {@code INVALID_ORDER_INPUT}.
 */
public final class OrderInputSchema {
  /** Class-path location of the schema. */
  public static final String RESOURCE = "/order-input.schema.json";
  private static final Schema SCHEMA = load();

  private OrderInputSchema() {}

  private static Schema load() {
    try (InputStream in = OrderInputSchema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) throw new IllegalStateException(RESOURCE + " is missing from the class path");
      JsonNode schema = OrderJson.MAPPER.readTree(in);
      return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  /**
   * Every rule the input breaks, one issue per field (the first problem found for it).
   *
   * @param input the order as JSON
   * @return the issues; empty when the input is valid
   */
  public static List<OrderInputException.Issue> validate(JsonNode input) {
    Map<String, OrderInputException.Issue> byPointer = new LinkedHashMap<>();
    for (Error error : SCHEMA.validate(input)) {
      OrderInputException.Issue issue = issueOf(error);
      byPointer.putIfAbsent(issue.pointer(), issue);
    }
    return new ArrayList<>(byPointer.values());
  }

  /**
   * Validates the input; throws naming every bad field.
   *
   * @param input the order as JSON
   * @throws OrderInputException when the input breaks the schema
   */
  public static void check(JsonNode input) {
    List<OrderInputException.Issue> issues = validate(input);
    if (!issues.isEmpty()) {
      String no = input.path("combineOutTradeNo").isTextual() ? input.get("combineOutTradeNo").asText() : null;
      throw new OrderInputException(no, issues);
    }
  }

  /**
   * Validates a typed input as it would be sent.
   *
   * @param input the order
   * @throws OrderInputException when the input breaks the schema
   */
  public static void check(OrderInput input) {
    check(OrderJson.tree(input));
  }

  /** The issue of one validation error: a missing or unknown property is named as the field itself. */
  private static OrderInputException.Issue issueOf(Error error) {
    List<String> parts = new ArrayList<>();
    List<Boolean> indexes = new ArrayList<>();
    NodePath location = error.getInstanceLocation();
    for (int i = 0; i < location.getNameCount(); i++) {
      Object element = location.getElement(i);
      parts.add(String.valueOf(element));
      indexes.add(element instanceof Integer);
    }
    String keyword = error.getKeyword();
    String property = error.getProperty();
    String problem = problemOf(error);
    if (property != null && ("required".equals(keyword) || "additionalProperties".equals(keyword))) {
      parts.add(property);
      indexes.add(false);
      problem = "required".equals(keyword) ? "is required" : "is not a known field";
    }
    return new OrderInputException.Issue(pointer(parts), field(parts, indexes), problem);
  }

  /** The validator's message without the location it starts with ({@code $.a.b: ...}). */
  private static String problemOf(Error error) {
    String message = error.getMessage();
    int colon = message.startsWith("$") ? message.indexOf(": ") : -1;
    return colon >= 0 ? message.substring(colon + 2) : message;
  }

  private static String pointer(List<String> parts) {
    StringBuilder out = new StringBuilder();
    for (String part : parts) out.append('/').append(part.replace("~", "~0").replace("/", "~1"));
    return out.toString();
  }

  private static String field(List<String> parts, List<Boolean> indexes) {
    if (parts.isEmpty()) return "(input)";
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < parts.size(); i++) {
      if (indexes.get(i)) out.append('[').append(parts.get(i)).append(']');
      else out.append(out.length() == 0 ? "" : ".").append(parts.get(i));
    }
    return out.toString();
  }
}
