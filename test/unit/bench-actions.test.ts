/**
 * The benchmark's action counter follows Temporal Cloud's published rules on histories the workflow really writes:
 * the committed replay fixtures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { countActions, totalActions } from '../../tools/bench/phases/actions';
import { HISTORY_DIR } from '../harness/record';

function events(file: string): temporal.api.history.v1.IHistoryEvent[] {
  const json = JSON.parse(fs.readFileSync(path.join(HISTORY_DIR, file), 'utf8')) as Record<string, unknown>;
  return temporal.api.history.v1.History.fromObject(json).events;
}

describe('bench action counter', () => {
  it('counts a paid order started by the client: start, deadline timer, markPaid update, the PAID phase', () => {
    const breakdown = countActions(events('paid.json'));
    expect(breakdown).toEqual({ workflowStarted: 1, timerStarted: 1, updatesAccepted: 1, searchAttributeUpserts: 1 });
    expect(totalActions(breakdown)).toBe(4);
  });

  it('counts a raw start: the attributes and memo it left out, one upsert and one memo change more', () => {
    const breakdown = countActions(events('raw-start-paid.json'));
    expect(breakdown).toMatchObject({ searchAttributeUpserts: 2, memoUpserts: 1 });
  });

  it('counts a reversed order: the pay window floor (a local activity marker), one attempt per activity', () => {
    // Three sub-orders: query, reverse, confirming query, three compensations.
    const breakdown = countActions(events('reversed.json'));
    expect(breakdown).toMatchObject({ workflowStarted: 1, markers: 1, activityAttempts: 6 });
    expect(breakdown['patchMarkers(not billed)']).toBeUndefined();
  });
});
