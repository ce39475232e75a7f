package example.checkout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Durations as the contract spells them, and the call timeout from ORDER_CALL_TIMEOUT. */
class DurationSettingTest {
  @Test
  void parsesDurations() {
    assertEquals(Optional.of(Duration.ofSeconds(5)), DurationSetting.parse("5s"));
    assertEquals(Optional.of(Duration.ofMillis(1500)), DurationSetting.parse("1500ms"));
    assertEquals(Optional.of(Duration.ofMillis(1500)), DurationSetting.parse("1500"));
    assertEquals(Optional.of(Duration.ofMillis(1500)), DurationSetting.parse("1.5s"));
    assertEquals(Optional.of(Duration.ofMinutes(90)), DurationSetting.parse("1h30m"));
    assertEquals(Optional.of(Duration.ofDays(1)), DurationSetting.parse(" 1d "));
    assertEquals(Optional.of(Duration.ZERO), DurationSetting.parse("0"));
  }

  @Test
  void refusesWhatIsNotADuration() {
    for (String text : new String[] {"", " ", "x", "5 s", "s", "-5s", "5sec", "1.s", "5S", "1".repeat(33), null}) {
      assertEquals(Optional.empty(), DurationSetting.parse(text), String.valueOf(text));
    }
  }

  @Test
  void readsTheCallTimeoutFromTheEnvironment() {
    assertEquals(Duration.ofSeconds(5), DurationSetting.callTimeout(Map.of()));
    assertEquals(Duration.ofSeconds(5), DurationSetting.callTimeout(Map.of("ORDER_CALL_TIMEOUT", " ")));
    assertEquals(Duration.ofMillis(1500), DurationSetting.callTimeout(Map.of("ORDER_CALL_TIMEOUT", "1500ms")));
    assertEquals(Duration.ofSeconds(2), DurationSetting.callTimeout(Map.of("ORDER_CALL_TIMEOUT", "2000")));
    for (String bad : new String[] {"0", "0s", "soon", "-1s"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> DurationSetting.callTimeout(Map.of("ORDER_CALL_TIMEOUT", bad)));
      assertTrue(e.getMessage().startsWith("ORDER_CALL_TIMEOUT must be a duration"), e.getMessage());
    }
  }
}
