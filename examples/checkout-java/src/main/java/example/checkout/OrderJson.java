package example.checkout;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.converter.JacksonJsonPayloadConverter;

/**
 * The JSON mapping of the contract's types, shared by the Temporal data converter (payloads travel as {@code
 * json/plain}) and by anything that prints or reads them: ISO-8601 times, absent values not written, unknown fields
 * refused only where a record says so (input) and ignored where it says so (what the workflow answers).
 */
public final class OrderJson {
  /** The mapper: Java time as ISO-8601 text, nulls omitted. */
  public static final ObjectMapper MAPPER = newMapper();

  private OrderJson() {}

  private static ObjectMapper newMapper() {
    ObjectMapper mapper = new ObjectMapper();
    mapper.registerModule(new JavaTimeModule());
    mapper.registerModule(new Jdk8Module());
    mapper.configure(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS, false);
    mapper.configure(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE, false);
    mapper.setDefaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL));
    return mapper;
  }

  /**
   * The data converter of the order client: the SDK's default, with JSON through {@link #MAPPER}.
   *
   * @return a data converter whose JSON payloads are plain JSON ({@code json/plain})
   */
  public static DataConverter dataConverter() {
    return DefaultDataConverter.newDefaultInstance()
        .withPayloadConverterOverrides(new JacksonJsonPayloadConverter(MAPPER));
  }

  /**
   * Writes a value as one line of JSON.
   *
   * @param value a record, a {@link JsonNode}, a map...
   * @return the JSON text
   */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /**
   * A value as a JSON tree (what is sent on the wire).
   *
   * @param value a record
   * @return its JSON tree
   */
  public static JsonNode tree(Object value) {
    return MAPPER.valueToTree(value);
  }

  /**
   * Reads an order input from JSON text; unknown fields and wrong types are refused, naming the field.
   *
   * @param json the order as JSON
   * @return the typed input
   * @throws OrderInputException when the text is not JSON or does not fit {@link OrderInput}
   */
  public static OrderInput readInput(String json) {
    try {
      return readInput(MAPPER.readTree(json));
    } catch (JsonProcessingException e) {
      throw new OrderInputException(null, java.util.List.of(issue(e)));
    }
  }

  /**
   * Binds a JSON tree to an order input; unknown fields and wrong types are refused, naming the field.
   *
   * @param json the order as a JSON tree
   * @return the typed input
   * @throws OrderInputException when it does not fit {@link OrderInput}
   */
  public static OrderInput readInput(JsonNode json) {
    try {
      return MAPPER.treeToValue(json, OrderInput.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      String no = json.path("combineOutTradeNo").isTextual() ? json.get("combineOutTradeNo").asText() : null;
      throw new OrderInputException(no, java.util.List.of(issue(e)));
    }
  }

  private static OrderInputException.Issue issue(Exception e) {
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m && !m.getPath().isEmpty()) {
      StringBuilder pointer = new StringBuilder();
      StringBuilder field = new StringBuilder();
      for (com.fasterxml.jackson.databind.JsonMappingException.Reference ref : m.getPath()) {
        String part = ref.getFieldName() != null ? ref.getFieldName() : String.valueOf(ref.getIndex());
        pointer.append('/').append(part);
        if (ref.getFieldName() != null) field.append(field.length() == 0 ? "" : ".").append(part);
        else field.append('[').append(part).append(']');
      }
      return new OrderInputException.Issue(pointer.toString(), field.toString(), m.getOriginalMessage());
    }
    String message = e instanceof JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
    return new OrderInputException.Issue("", "(input)", "is not an order input: " + message);
  }
}
