package example.checkout;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The command-line program: a checkout's side of one order, printing one machine-readable line per step.
 *
 * <pre>
 *   java -jar checkout-java.jar pay             '&lt;order JSON&gt;'|@order.json   start + beginPayment, pay call (paid), markPaid
 *   java -jar checkout-java.jar timeout         '&lt;order JSON&gt;'|@order.json   start + beginPayment, pay call (no answer);
 *                                                                  after the deadline beginPayment and markPaid are refused
 *   java -jar checkout-java.jar start           '&lt;order JSON&gt;'|@order.json   start (validated) and wait for the result
 *   java -jar checkout-java.jar start-unchecked '&lt;order JSON&gt;'|@order.json   start without client-side validation
 *   java -jar checkout-java.jar verify compensation|confirmation requests.json
 *                                                verify recorded order-service requests as that endpoint would
 * </pre>
 *
 * Exit codes: 0 result printed (or requests verified); 2 {@code FAILED} (the workflow failed, or its run ended without
 * an outcome: {@code RUN_ENDED}); 3 {@code INVALID_INPUT} (refused before anything was started); 4 {@code
 * NOT_ANSWERING} (no worker answered in time); 5 {@code INPUT_CONFLICT} (the order runs with another input: no pay
 * call sent); 64 usage (or verify without valid secrets in {@code COMPENSATION_HMAC_SECRET}).
 */
public final class Checkout {
  private static final Set<String> ORDER_MODES = Set.of("pay", "timeout", "start", "start-unchecked");
  private static final String USAGE =
      "usage: java -jar checkout-java.jar pay|timeout|start|start-unchecked '<order JSON>'|@order.json\n"
          + "       java -jar checkout-java.jar verify compensation|confirmation <requests.json>"
          + "   (needs COMPENSATION_HMAC_SECRET: whsec_... secrets, space-separated)";

  private Checkout() {}

  /**
   * Runs one mode and exits with its code.
   *
   * @param args the mode and its argument
   * @throws Exception on an unexpected failure (stack trace, exit 1)
   */
  public static void main(String[] args) throws Exception {
    // UTF-8 whatever the locale: messages may hold non-ASCII text (e.g. "±300 s").
    PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.exit(run(args, new Protocol(stdout)));
  }

  static int run(String[] args, Protocol out) throws Exception {
    if (args.length == 3 && args[0].equals("verify")) {
      return verify(args[1], Path.of(args[2]), System.getenv("COMPENSATION_HMAC_SECRET"), out);
    }
    if (args.length != 2 || args[0].equals("verify")) return usage("");
    if (!ORDER_MODES.contains(args[0])) return usage("unknown mode " + args[0]);
    String text = args[1].startsWith("@") ? Files.readString(Path.of(args[1].substring(1))) : args[1];
    try (OrderConnection connection = OrderConnection.fromEnvironment()) {
      CheckoutFlows flows = new CheckoutFlows(OrderClient.fromEnvironment(connection), out);
      return runOrder(args[0], text, flows, out);
    }
  }

  private static int runOrder(String mode, String text, CheckoutFlows flows, Protocol out) throws Exception {
    try {
      OrderInput input = input(text, !mode.equals("start-unchecked"));
      return switch (mode) {
        case "pay" -> flows.pay(input);
        case "timeout" -> flows.timeout(input);
        case "start" -> flows.start(input, true);
        default -> flows.start(input, false);
      };
    } catch (OrderInputException e) {
      out.line("INVALID_INPUT", e.getMessage());
      return 3;
    } catch (OrderRunEndedException e) {
      out.line("RUN_ENDED", e.runStatus() + ": " + e.getMessage());
      return CheckoutFlows.FAILED;
    } catch (OrderNotAnsweringException e) {
      out.line("NOT_ANSWERING", e.call() + ": " + e.getMessage());
      return 4;
    } catch (OrderInputConflictException e) {
      out.line("INPUT_CONFLICT", String.join(",", e.fields()) + ": " + e.getMessage());
      return 5;
    }
  }

  /** The order from its JSON text: schema-validated first unless unchecked, then bound to {@link OrderInput}. */
  private static OrderInput input(String text, boolean validate) {
    JsonNode json;
    try {
      json = OrderJson.MAPPER.readTree(text);
    } catch (Exception e) {
      throw new OrderInputException(null, java.util.List.of(new OrderInputException.Issue("", "(input)", "is not JSON")));
    }
    if (validate) OrderInputSchema.check(json);
    return OrderJson.readInput(json);
  }

  /** The {@code verify} mode with the secrets given (the environment's {@code COMPENSATION_HMAC_SECRET}). */
  static int verify(String purposeName, Path file, String secrets, Protocol out) throws Exception {
    DownstreamVerifier.Purpose purpose;
    try {
      purpose = DownstreamVerifier.Purpose.valueOf(purposeName.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return usage("unknown purpose " + purposeName + " (compensation or confirmation)");
    }
    DownstreamVerifier verifier;
    try {
      verifier = DownstreamVerifier.fromEnvironment(purpose, secrets);
    } catch (IllegalArgumentException e) {
      System.err.println("COMPENSATION_HMAC_SECRET: " + e.getMessage());
      return 64;
    }
    new VerifyCommand(verifier, out).run(file);
    return 0;
  }

  private static int usage(String problem) {
    if (!problem.isEmpty()) System.err.println(problem);
    System.err.println(USAGE);
    return 64;
  }
}
