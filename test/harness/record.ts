/**
 * Records workflow histories as replay fixtures when RECORD_HISTORIES=1 (run `RECORD_HISTORIES=1 npx jest
 * test/workflow`); otherwise does nothing. Fixtures live in `test/fixtures/deployments/<version>/histories`, one set per
 * Worker Deployment version (the package's version is this code's), and are committed; an older version's folder also
 * holds its shipped workflow bundle (`workflow-bundle.js.gz`), against which its histories replay.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { version } from '../../package.json';

/** The Worker Deployment version of the workflow code in this checkout (the package's version). */
export const CURRENT_DEPLOYMENT = version;
/** Directory of every deployment version's committed fixtures. */
export const DEPLOYMENTS_DIR = path.resolve(__dirname, '..', 'fixtures', 'deployments');
/** Directory of this version's committed replay fixtures. */
export const HISTORY_DIR = path.join(DEPLOYMENTS_DIR, CURRENT_DEPLOYMENT, 'histories');

/** Saves the finished workflow's history as `<name>.json` when recording. */
export async function recordHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  fs.mkdirSync(HISTORY_DIR, { recursive: true });
  fs.writeFileSync(path.join(HISTORY_DIR, `${name}.json`), JSON.stringify(history, null, 1));
}
