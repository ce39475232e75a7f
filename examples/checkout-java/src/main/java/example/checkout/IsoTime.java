package example.checkout;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** ISO-8601 times as the contract writes them (the input's {@code orderCreatedAt}, a webhook body's timestamp). */
public final class IsoTime {
  /** The schema's form: seconds and fraction optional, a zone required. */
  private static final Pattern ISO_8601 =
      Pattern.compile(
          "^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?(?:(Z)|([+-])(\\d{2}):?(\\d{2}))$");

  private IsoTime() {}

  /**
   * An ISO-8601 time of the schema's form as epoch milliseconds (a finer fraction is cut, as JavaScript does), or
   * null when it is null, not of that form, or not in the calendar.
   *
   * @param iso e.g. {@code 2026-11-27T08:00:00Z}, {@code 2026-11-27T16:00+08:00}
   * @return epoch milliseconds, or null
   */
  public static Long epochMillis(String iso) {
    if (iso == null) return null;
    Matcher m = ISO_8601.matcher(iso);
    if (!m.matches()) return null;
    try {
      LocalDateTime local =
          LocalDateTime.of(
              Integer.parseInt(m.group(1)),
              Integer.parseInt(m.group(2)),
              Integer.parseInt(m.group(3)),
              Integer.parseInt(m.group(4)),
              Integer.parseInt(m.group(5)),
              m.group(6) == null ? 0 : Integer.parseInt(m.group(6)));
      int offsetMinutes = 0;
      if (m.group(8) == null) {
        int hours = Integer.parseInt(m.group(10));
        int minutes = Integer.parseInt(m.group(11));
        if (hours > 23 || minutes > 59) return null;
        offsetMinutes = (m.group(9).equals("-") ? -1 : 1) * (hours * 60 + minutes);
      }
      String fraction = m.group(7) == null ? "" : m.group(7);
      long millis = fraction.isEmpty() ? 0 : Long.parseLong((fraction + "00").substring(0, 3));
      return local.toEpochSecond(ZoneOffset.UTC) * 1000 + millis - offsetMinutes * 60_000L;
    } catch (DateTimeException e) {
      return null;
    }
  }
}
