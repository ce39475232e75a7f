package example.checkout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What {@code beginPayment} carries, for the record (each field at most 256 characters, both optional).
 *
 * @param attemptId the checkout's id of this pay attempt, or null
 * @param note free text, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BeginPaymentDetails(String attemptId, String note) {
  /**
   * Details naming the pay attempt only.
   *
   * @param attemptId the checkout's id of this pay attempt
   * @return the details
   */
  public static BeginPaymentDetails attempt(String attemptId) {
    return new BeginPaymentDetails(attemptId, null);
  }
}
