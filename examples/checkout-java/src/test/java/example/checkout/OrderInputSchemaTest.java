package example.checkout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Client-side validation against the shipped JSON Schema, and the input's JSON form. */
class OrderInputSchemaTest {
  static final String VALID =
      "{\"combineOutTradeNo\":\"J20250101000001\",\"combineAppid\":\"wxd678efh567hg6787\","
          + "\"subOrders\":[{\"mchid\":\"1900000109\",\"outTradeNo\":\"J20250101000001S1\",\"subMchid\":\"1900000001\"},"
          + "{\"mchid\":\"1900000109\",\"outTradeNo\":\"J20250101000001S2\",\"subMchid\":\"1900000002\",\"subAppid\":\"wx1\"}],"
          + "\"paymentTimeout\":68000,\"orderCreatedAt\":\"2026-12-03T08:00:00.000+08:00\",\"payWindow\":\"2s\","
          + "\"onPaidAtDeadline\":\"ADOPT\",\"retryPolicy\":{\"downstream\":{\"initialInterval\":\"1s\",\"backoffCoefficient\":2}}}";

  private static ObjectNode valid() throws Exception {
    return (ObjectNode) OrderJson.MAPPER.readTree(VALID);
  }

  private static List<OrderInputException.Issue> issues(JsonNode input) {
    return OrderInputSchema.validate(input);
  }

  @Test
  void acceptsAValidInput() throws Exception {
    assertEquals(List.of(), issues(valid()));
    OrderInputSchema.check(OrderJson.readInput(VALID));
  }

  @Test
  void namesABadField() throws Exception {
    ObjectNode input = valid().put("combineOutTradeNo", "X".repeat(33));
    OrderInputException e = assertThrows(OrderInputException.class, () -> OrderInputSchema.check(input));
    assertEquals(1, e.issues().size());
    assertEquals("/combineOutTradeNo", e.issues().get(0).pointer());
    assertEquals("combineOutTradeNo", e.issues().get(0).field());
    assertTrue(e.getMessage().startsWith("invalid order input: combineOutTradeNo: "), e.getMessage());
    assertEquals("X".repeat(33), e.combineOutTradeNo());
  }

  @Test
  void namesAFieldOfASubOrderByIndex() throws Exception {
    ObjectNode input = valid();
    ((ObjectNode) input.withArray("subOrders").get(1)).put("mchid", "19000x");
    List<OrderInputException.Issue> found = issues(input);
    assertEquals(1, found.size());
    assertEquals("/subOrders/1/mchid", found.get(0).pointer());
    assertEquals("subOrders[1].mchid", found.get(0).field());
  }

  @Test
  void namesAMissingAndAnUnknownField() throws Exception {
    ObjectNode input = valid();
    input.remove("combineAppid");
    input.put("combineAppId", "wx");
    ((ObjectNode) input.withArray("subOrders").get(0)).remove("subMchid");
    List<OrderInputException.Issue> found = issues(input);
    assertTrue(found.contains(new OrderInputException.Issue("/combineAppid", "combineAppid", "is required")), found.toString());
    assertTrue(found.contains(new OrderInputException.Issue("/combineAppId", "combineAppId", "is not a known field")), found.toString());
    assertTrue(found.contains(new OrderInputException.Issue("/subOrders/0/subMchid", "subOrders[0].subMchid", "is required")), found.toString());
  }

  @Test
  void refusesDurationsOfTheWrongShapeAndTooManySubOrders() throws Exception {
    assertEquals("/paymentTimeout", issues(valid().put("paymentTimeout", "30 minutes")).get(0).pointer());
    assertEquals("/payWindow", issues(valid().put("payWindow", -1)).get(0).pointer());
    assertEquals("/onPaidAtDeadline", issues(valid().put("onPaidAtDeadline", "KEEP")).get(0).pointer());
    ObjectNode many = valid();
    for (int i = 0; i < 50; i++) many.withArray("subOrders").add(many.withArray("subOrders").get(0).deepCopy());
    assertEquals("/subOrders", issues(many).get(0).pointer());
    ObjectNode none = valid();
    none.putArray("subOrders");
    assertEquals("subOrders", issues(none).get(0).field());
  }

  @Test
  void sendsTheInputExactlyAsGiven() throws Exception {
    OrderInput input = OrderJson.readInput(VALID);
    assertEquals(OrderJson.MAPPER.readTree(VALID), OrderJson.MAPPER.readTree(OrderJson.write(input)));
    assertEquals(DurationValue.ofMillis(68_000), input.paymentTimeout());
    assertEquals(DurationValue.of("2s"), input.payWindow());
    // Absent optional fields are not sent (never as null).
    OrderInput minimal = OrderInput.of("J1", "wxd678efh567hg6787", List.of(new SubOrder("1900000109", "J1S1", "1900000001")));
    assertEquals(
        "{\"combineOutTradeNo\":\"J1\",\"combineAppid\":\"wxd678efh567hg6787\","
            + "\"subOrders\":[{\"mchid\":\"1900000109\",\"outTradeNo\":\"J1S1\",\"subMchid\":\"1900000001\"}]}",
        OrderJson.write(minimal));
    assertEquals("{\"combineOutTradeNo\":\"J1\",\"combineAppid\":\"wxd678efh567hg6787\",\"subOrders\":[{\"mchid\":\"1900000109\","
        + "\"outTradeNo\":\"J1S1\",\"subMchid\":\"1900000001\"}],\"paymentTimeout\":\"30m\"}",
        OrderJson.write(minimal.withPaymentTimeout(DurationValue.of("30m"))));
  }

  @Test
  void bindingNamesAnUnknownOrMistypedField() {
    OrderInputException unknown =
        assertThrows(OrderInputException.class, () -> OrderJson.readInput(VALID.replace("\"payWindow\"", "\"payWindowX\"")));
    assertEquals("payWindowX", unknown.issues().get(0).field());
    OrderInputException mistyped =
        assertThrows(OrderInputException.class, () -> OrderJson.readInput(VALID.replace("68000", "true")));
    assertEquals("paymentTimeout", mistyped.issues().get(0).field());
    OrderInputException nested =
        assertThrows(OrderInputException.class, () -> OrderJson.readInput(VALID.replace("\"subAppid\"", "\"subAppId\"")));
    assertEquals("/subOrders/1/subAppId", nested.issues().get(0).pointer());
    assertEquals("subOrders[1].subAppId", nested.issues().get(0).field());
    assertThrows(OrderInputException.class, () -> OrderJson.readInput("{"));
  }
}
