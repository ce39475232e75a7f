/** The product's own counters, recorded by the activities and exported by the worker. */
export interface Metrics {
  /** One reverse answer, by class (ACCEPTED, REJECTED, AUTH, TRANSIENT, UNVERIFIED). */
  reverseAnswer(answerClass: string): void;
  /** One failed compensation attempt, by kind (transient, rejected). */
  compensationFailure(kind: 'transient' | 'rejected'): void;
}
