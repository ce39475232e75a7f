package example.checkout;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A duration as the order input spells it: a string such as {@code "90s"}, {@code "30m"}, {@code "1h30m"}, or a
 * whole number of milliseconds. It is sent exactly as given (a string stays a string, a number a number); the
 * workflow and the JSON Schema check it.
 */
public final class DurationValue {
  private final Object value;

  private DurationValue(Object value) {
    this.value = value;
  }

  /**
   * A duration string, e.g. {@code "90s"}.
   *
   * @param text the duration
   * @return the value
   */
  public static DurationValue of(String text) {
    return new DurationValue(Objects.requireNonNull(text, "text"));
  }

  /**
   * A number of milliseconds.
   *
   * @param millis the duration in milliseconds
   * @return the value
   */
  public static DurationValue ofMillis(long millis) {
    return new DurationValue(millis);
  }

  /**
   * Reads the JSON form: a string or an integer. Anything else is kept as its text so that validation names it.
   *
   * @param node the JSON value
   * @return the value
   */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static DurationValue fromJson(JsonNode node) {
    if (node.isIntegralNumber() && node.canConvertToLong()) return ofMillis(node.asLong());
    if (node.isTextual()) return of(node.asText());
    throw new IllegalArgumentException("a duration must be a string such as \"90s\" or a number of milliseconds");
  }

  /**
   * The JSON form: the string or the number as given.
   *
   * @return a {@link String} or a {@link Long}
   */
  @JsonValue
  public Object json() {
    return value;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof DurationValue d && d.value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return value instanceof String s ? s : value + "ms";
  }
}
