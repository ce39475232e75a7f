package example.checkout;

import java.io.PrintStream;

/** The command-line program's output: one machine-readable line per step, {@code TAG text} or {@code TAG {json}}. */
final class Protocol {
  private final PrintStream out;

  Protocol(PrintStream out) {
    this.out = out;
  }

  /** Prints {@code TAG <value as JSON>}. */
  void json(String tag, Object value) {
    out.println(tag + " " + OrderJson.write(value));
    out.flush();
  }

  /** Prints {@code TAG text}. */
  void line(String tag, String text) {
    out.println(tag + " " + text);
    out.flush();
  }
}
