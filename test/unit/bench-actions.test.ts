/**
 * The benchmark's action counter follows Temporal Cloud's published rules on histories the workflow really writes:
 * the committed replay fixtures (current generation and the one before).
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { countActions, totalActions } from '../../bench/phases/actions';
import { HISTORY_DIR } from '../harness/record';

function events(file: string): temporal.api.history.v1.IHistoryEvent[] {
  const json = JSON.parse(fs.readFileSync(path.join(HISTORY_DIR, file), 'utf8')) as Record<string, unknown>;
  return temporal.api.history.v1.History.fromObject(json).events;
}

describe('bench action counter', () => {
  it('counts a paid order started by the client: start, deadline timer, markPaid update, the PAID phase', () => {
    const breakdown = countActions(events('paid.json'));
    expect(breakdown).toMatchObject({
      workflowStarted: 1,
      timerStarted: 1,
      updatesAccepted: 1,
      searchAttributeUpserts: 1,
      'changeVersionUpserts(not billed)': 1,
      'patchMarkers(not billed)': 1,
    });
    expect(breakdown.memoUpserts).toBeUndefined();
    expect(totalActions(breakdown)).toBe(4);
  });

  it('counts the start values the version before upserted again (three more actions on the same path)', () => {
    const breakdown = countActions(events('pre-attributes-at-start/paid.json'));
    expect(breakdown).toMatchObject({ searchAttributeUpserts: 3, memoUpserts: 1 });
    expect(totalActions(breakdown)).toBe(7);
  });
});
