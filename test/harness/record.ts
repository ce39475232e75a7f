/**
 * Records workflow histories as replay fixtures when RECORD_HISTORIES=1 (run `RECORD_HISTORIES=1 npx jest
 * test/workflow`); otherwise does nothing. Fixtures live in test/fixtures/histories and are committed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';

/** Directory of committed replay fixtures. */
export const HISTORY_DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');

/** Saves the finished workflow's history as `<name>.json` when recording. */
export async function recordHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  fs.mkdirSync(HISTORY_DIR, { recursive: true });
  fs.writeFileSync(path.join(HISTORY_DIR, `${name}.json`), JSON.stringify(history, null, 1));
}
