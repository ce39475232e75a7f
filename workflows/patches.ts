/**
 * Patch ids (`patched()`): each marks where the workflow's command sequence changed, so orders whose history was
 * written by older code replay on the path they took. Never rename or remove one while such histories may run.
 */
export const Patches = {
  /** Pay window + query before and after the reverse + compensation only after a confirming query. */
  RECONCILE_BY_QUERY: 'reconcile-by-query',
  /**
   * The stricter input rules (digit merchant ids, appid charset, calendar-checked dates, floors and a ceiling for the
   * WeChat Pay retry overrides) and signal notes whose printable text must be non-empty. Orders started before it
   * replay under the rules that accepted them.
   */
  STRICT_INPUT: 'strict-input',
  /**
   * Query and reverse on the dedicated, rate-limited WeChat Pay activity task queue (`<task queue>-wechatpay`).
   * Orders whose first WeChat Pay call was scheduled before it keep the workflow's own task queue.
   */
  WECHATPAY_TASK_QUEUE: 'wechatpay-task-queue',
  /**
   * The order's search attributes and memo come with its start; the workflow sets only what a start left out (a
   * raw start without them: once) and upserts its phase only when it changes. Orders that carry this marker were
   * started by code that already had every patch above, so they imply STRICT_INPUT, RECONCILE_BY_QUERY and
   * WECHATPAY_TASK_QUEUE and never record those markers: each marker also upserts the `TemporalChangeVersion`
   * search attribute, a billable action.
   */
  ATTRIBUTES_AT_START: 'attributes-at-start',
} as const;
