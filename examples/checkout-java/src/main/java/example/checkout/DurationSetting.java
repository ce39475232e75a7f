package example.checkout;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations of the client's settings, spelled as the contract spells them: a whole number of milliseconds ({@code
 * "1500"}) or one or more {@code <number><unit>} parts with units ms, s, m, h, d ({@code "5s"}, {@code "1500ms"},
 * {@code "1h30m"}, {@code "1.5s"}).
 */
public final class DurationSetting {
  /** Environment variable of the deadline of every call to an order. */
  public static final String CALL_TIMEOUT_ENV = "ORDER_CALL_TIMEOUT";
  /** Default deadline of a call: long enough for a busy worker, short enough for a checkout. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(5);

  private static final Pattern WHOLE = Pattern.compile("^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d))+$");
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");
  private static final Map<String, Long> UNIT_MS =
      Map.of("ms", 1L, "s", 1_000L, "m", 60_000L, "h", 3_600_000L, "d", 86_400_000L);

  private DurationSetting() {}

  /**
   * Parses a duration.
   *
   * @param text e.g. {@code "5s"}, {@code "1500ms"}, {@code "1500"} (milliseconds), {@code "1h30m"}
   * @return the duration (rounded to milliseconds), or empty when the text is not a duration
   */
  public static Optional<Duration> parse(String text) {
    if (text == null) return Optional.empty();
    String value = text.trim();
    if (value.isEmpty() || value.length() > 32) return Optional.empty();
    if (value.chars().allMatch(Character::isDigit)) return Optional.of(Duration.ofMillis(Long.parseLong(value)));
    if (!WHOLE.matcher(value).matches()) return Optional.empty();
    BigDecimal total = BigDecimal.ZERO;
    Matcher part = PART.matcher(value);
    while (part.find()) {
      total = total.add(new BigDecimal(part.group(1)).multiply(BigDecimal.valueOf(UNIT_MS.get(part.group(2)))));
    }
    return Optional.of(Duration.ofMillis(total.setScale(0, RoundingMode.HALF_UP).longValueExact()));
  }

  /**
   * A duration setting: the environment variable when set, else the fallback. Throws naming the variable when it is
   * set but not a duration of at least {@code minimum}.
   *
   * @param env the environment, e.g. {@code System.getenv()}
   * @param name the variable
   * @param fallback the value when it is not set (or blank)
   * @param minimum the smallest value accepted
   * @return the duration
   * @throws IllegalArgumentException when the variable holds no valid duration
   */
  public static Duration fromEnv(Map<String, String> env, String name, Duration fallback, Duration minimum) {
    String raw = env.get(name);
    if (raw == null || raw.isBlank()) return fallback;
    Optional<Duration> parsed = parse(raw);
    if (parsed.isEmpty() || parsed.get().compareTo(minimum) < 0) {
      throw new IllegalArgumentException(
          name + " must be a duration of at least " + minimum.toMillis() + " ms such as \"5s\", got \"" + raw + "\"");
    }
    return parsed.get();
  }

  /**
   * The deadline of every call to an order: {@code ORDER_CALL_TIMEOUT}, else 5 s.
   *
   * @param env the environment
   * @return the call timeout (at least 1 ms)
   */
  public static Duration callTimeout(Map<String, String> env) {
    return fromEnv(env, CALL_TIMEOUT_ENV, DEFAULT_CALL_TIMEOUT, Duration.ofMillis(1));
  }
}
