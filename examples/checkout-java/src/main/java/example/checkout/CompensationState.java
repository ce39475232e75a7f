package example.checkout;

import com.fasterxml.jackson.annotation.JsonCreator;

/** The state of one sub-order's compensation ({@link SubOrderStatus#compensation()}). */
public enum CompensationState {
  /** Not compensated yet. */
  NOT_STARTED,
  /** The compensation request is being delivered. */
  IN_PROGRESS,
  /** The order service confirmed it (2xx or 409). */
  DONE,
  /** The order service refused it for good. */
  FAILED,
  /** An operator resolved the order by hand. */
  RESOLVED_MANUALLY,
  /** A state this template does not know (a later workflow version). */
  UNKNOWN;

  /**
   * Reads a state name; unknown names become {@link #UNKNOWN}.
   *
   * @param name the state as the workflow spells it
   * @return the state
   */
  @JsonCreator
  public static CompensationState of(String name) {
    for (CompensationState state : values()) {
      if (state.name().equals(name)) return state;
    }
    return UNKNOWN;
  }
}
