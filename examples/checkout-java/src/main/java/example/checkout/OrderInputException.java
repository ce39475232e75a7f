package example.checkout;

import java.util.List;
import java.util.stream.Collectors;

/** The order input broke the JSON Schema: nothing was started. {@link #issues()} names every bad field. */
public final class OrderInputException extends OrderException {
  private static final long serialVersionUID = 1L;
  private final transient List<Issue> issues;

  /**
   * One rule the input broke.
   *
   * @param pointer JSON Pointer of the bad value, e.g. {@code /subOrders/0/mchid} (empty for the whole input)
   * @param field the field as a path, e.g. {@code subOrders[0].mchid} ({@code (input)} for the whole input)
   * @param problem what is wrong with it
   */
  public record Issue(String pointer, String field, String problem) {
    @Override
    public String toString() {
      return field + ": " + problem;
    }
  }

  /**
   * An invalid input.
   *
   * @param combineOutTradeNo the order number as given, or null
   * @param issues the broken rules (at least one)
   */
  public OrderInputException(String combineOutTradeNo, List<Issue> issues) {
    super(combineOutTradeNo, "invalid order input: " + format(issues), null);
    this.issues = List.copyOf(issues);
  }

  /**
   * Every broken rule.
   *
   * @return the issues, in the order the validator reported them
   */
  public List<Issue> issues() {
    return issues;
  }

  private static String format(List<Issue> issues) {
    return issues.stream().map(Issue::toString).collect(Collectors.joining("; "));
  }
}
