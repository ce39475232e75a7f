/**
 * Text that reaches an operator cannot inject (issue 11, item 4), on the real dev server with mocked activities:
 * notes and reasons from signals are kept printable and bounded, and everything the Web UI renders as Markdown (the
 * static summary and details the client sets, the current details the workflow sets) is escaped.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { cancelOrder, startOrder } from '../../client';
import { ErrorType, resolveSignal, statusQuery } from '../../workflows/contract';
import { uniqueId } from '../harness/env';
import { useFakeActivitiesWorker } from '../harness/fake-activities';
import { orderInput, waitForPhase, waitForStatus } from '../harness/orders';

/** A note an attacker (or a careless paste) might send: links, HTML, a table pipe, emphasis, controls, bidi. */
const HOSTILE =
  '[x](http://e.vil) <http://e.vil> <img src=x> |cell| **bold** _it_ `code`\u0000\u0007\r\nnext\u202Eexe.txt';
/** Where its Markdown was, escaped so that each renders as itself (bare URLs defused by an invisible U+2060). */
const ESCAPED =
  '\\[x\\](http:\u2060//e.vil) \\<http:\u2060//e.vil\\> \\<img src=x\\> \\|cell\\| \\*\\*bold\\*\\* \\_it\\_ \\`code\\`';
/** What is kept: controls and invisible characters gone, whitespace collapsed. */
const PRINTABLE = '[x](http://e.vil) <http://e.vil> <img src=x> |cell| **bold** _it_ `code` next exe.txt';

/** The workflow's current details (what the Web UI renders as Markdown). */
async function currentDetails(handle: WorkflowHandle): Promise<string> {
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

/** Whether `markdown` has `text` anywhere without a backslash before it. */
function unescaped(markdown: string, text: string): boolean {
  return markdown
    .split(text)
    .slice(0, -1)
    .some((before) => !before.endsWith('\\'));
}

describe('operator text: printable, bounded, escaped where rendered', () => {
  const suite = useFakeActivitiesWorker('operator-text');
  const { fake, taskQueue } = suite;
  let client: Client;
  beforeAll(() => {
    client = suite.client();
  });

  it('keeps a cancel reason printable and bounded (1000 characters)', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const { handle } = await startOrder(client, input, { taskQueue });
    await cancelOrder(client, input.combineOutTradeNo, `${HOSTILE} ${'y'.repeat(2_000)}`);
    const status = await waitForStatus(handle, (s) => s.cancelled !== undefined);
    const reason = status.cancelled!.reason!;
    expect(Array.from(reason)).toHaveLength(1_000);
    expect(reason.startsWith(PRINTABLE)).toBe(true);
    expect(reason).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    expect(status.operatorActions.at(-1)).toMatchObject({ action: 'cancelOrder', accepted: true, note: reason });
    expect((await handle.result()).outcome).toBe('REVERSED');
  });

  it('refuses a resolve note with nothing printable, keeps a hostile one printable, and renders it escaped', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.reverseScript = () =>
      ApplicationFailure.create({ type: ErrorType.REVERSE_REJECTED, nonRetryable: true, message: 'PARAM_ERROR' });
    const { handle } = await startOrder(client, input, { taskQueue });
    await waitForPhase(handle, 'NEEDS_ATTENTION');

    // Only controls and invisible characters: no note, so no resolution (before, any non-blank note counted).
    await handle.signal(resolveSignal, '\u0000\u202e\u200b\u0007');
    const refused = await waitForStatus(handle, (s) => s.operatorActions.some((a) => a.action === 'resolve'));
    expect(refused.operatorActions.at(-1)).toMatchObject({ action: 'resolve', accepted: false });
    expect(refused.phase).toBe('NEEDS_ATTENTION');

    await handle.signal(resolveSignal, { note: HOSTILE });
    const result = await handle.result();
    expect(result.outcome).toBe('RESOLVED_MANUALLY');
    expect(result.resolution?.note).toBe(PRINTABLE);
    const status = await handle.query(statusQuery);
    expect(status.waitingFor).toContain(PRINTABLE);

    const details = await currentDetails(handle);
    expect(details.startsWith('**RESOLVED_MANUALLY** — Nothing: an operator resolved the order by hand (')).toBe(true);
    expect(details).toContain(ESCAPED);
    for (const markdown of ['[', ']', '<', '>', '|', '*', '_', '`']) {
      expect({ markdown, unescaped: unescaped(details.replace(/^\*\*RESOLVED_MANUALLY\*\*/, ''), markdown) }).toEqual({
        markdown,
        unescaped: false,
      });
    }
    expect(details).not.toMatch(/[\u0000-\u001f\u202e]/);
  });

  it('escapes order numbers in the static summary and details (order numbers may hold | * _)', async () => {
    const input = orderInput({ dueInMs: 60_000, combineOutTradeNo: `A|*_${uniqueId('x').slice(-8)}` });
    input.subOrders = input.subOrders.map((s, i) => ({ ...s, outTradeNo: `S|${i}*_x_*`, subAppid: 'wx_a-b' }));
    const { handle } = await startOrder(client, input, { taskQueue });
    const description = await handle.describe();
    const summary = (await description.staticSummary()) ?? '';
    const details = (await description.staticDetails()) ?? '';
    expect(summary).toContain(`Combined order A\\|\\*\\_${input.combineOutTradeNo.slice(4)}:`);
    expect(details).toContain(`**Combined order** \`${input.combineOutTradeNo}\``);
    const rows = details.split('\n').filter((l) => l.startsWith('| S'));
    expect(rows).toEqual([
      '| S\\|0\\*\\_x\\_\\* | 1900009191 | 1900000001 | wx\\_a-b |',
      '| S\\|1\\*\\_x\\_\\* | 1900009191 | 1900000002 | wx\\_a-b |',
    ]);
    // Every row has exactly the table's five cell borders.
    for (const row of rows) expect(row.split(/(?<!\\)\|/)).toHaveLength(6);
    await handle.terminate('test done');
  });
});
