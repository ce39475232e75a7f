/**
 * History events and billable Temporal Cloud actions per order, counted from real histories by the published rules
 * (https://docs.temporal.io/cloud/actions): workflow started; timer started (including the implicit timer of
 * `condition(fn, timeout)`); each activity attempt (scheduled, and every retry); signal received; update accepted;
 * search-attribute upsert (one per command; values given at start are not counted, and neither is an upsert of only
 * `TemporalChangeVersion`, the versioning attribute a `patched()` marker sets); memo/properties modified (counted,
 * conservatively: the page does not list it); side-effect and local-activity markers; child workflow started;
 * external signal/cancel. Queries are billable too but leave no event: the bench sends none. Patch markers are
 * counted apart: they are not listed as actions.
 */
import type { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { pooled } from '../util';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The search attribute the SDK upserts with each patch marker; exempt from action counting. */
const CHANGE_VERSION = 'TemporalChangeVersion';

/** Billable actions of one history, by kind. */
export function countActions(events: HistoryEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (kind: string, n = 1): void => {
    out[kind] = (out[kind] ?? 0) + n;
  };
  const started = new Set<string>();
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) add('workflowStarted');
    else if (e.timerStartedEventAttributes) add('timerStarted');
    else if (e.activityTaskStartedEventAttributes) {
      started.add(String(e.activityTaskStartedEventAttributes.scheduledEventId));
      add('activityAttempts', e.activityTaskStartedEventAttributes.attempt ?? 1);
    } else if (e.workflowExecutionSignaledEventAttributes) add('signals');
    else if (e.workflowExecutionUpdateAcceptedEventAttributes) add('updatesAccepted');
    else if (e.upsertWorkflowSearchAttributesEventAttributes) {
      const keys = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {});
      add(keys.every((k) => k === CHANGE_VERSION) ? 'changeVersionUpserts(not billed)' : 'searchAttributeUpserts');
    } else if (e.workflowPropertiesModifiedEventAttributes) add('memoUpserts');
    else if (e.markerRecordedEventAttributes) {
      add(e.markerRecordedEventAttributes.markerName === 'core_patch' ? 'patchMarkers(not billed)' : 'markers');
    } else if (e.startChildWorkflowExecutionInitiatedEventAttributes) add('childWorkflows');
    else if (e.signalExternalWorkflowExecutionInitiatedEventAttributes) add('externalSignals');
    else if (e.requestCancelExternalWorkflowExecutionInitiatedEventAttributes) add('externalCancels');
  }
  // An activity scheduled but never started (none in the bench) is still one attempt.
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes && !started.has(String(e.eventId))) add('activityAttempts');
  }
  return out;
}

/** Total billable actions of a breakdown (patch markers excluded). */
export function totalActions(breakdown: Record<string, number>): number {
  return Object.entries(breakdown).reduce((sum, [k, v]) => (k.includes('not billed') ? sum : sum + v), 0);
}

/** Mean events and actions per history over a sample of completed workflows. */
export async function actionsOf(
  client: Client,
  workflowIds: string[],
): Promise<{ events: number; actions: number; breakdown: Record<string, number> }> {
  const sums: Record<string, number> = {};
  let events = 0;
  await pooled(workflowIds, 8, async (id) => {
    const history = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    events += history.length;
    for (const [k, v] of Object.entries(countActions(history))) sums[k] = (sums[k] ?? 0) + v;
  });
  const n = workflowIds.length;
  const breakdown = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, Number((v / n).toFixed(2))]));
  return { events: Number((events / n).toFixed(1)), actions: totalActions(breakdown), breakdown };
}
