/**
 * Patch ids (`patched()`): each marks where the workflow's command sequence changed, so orders whose history was
 * written by older code replay on the path they took. Never rename or remove one while such histories may run.
 */
export const Patches = {
  /** Pay window + query before and after the reverse + compensation only after a confirming query. */
  RECONCILE_BY_QUERY: 'reconcile-by-query',
} as const;
