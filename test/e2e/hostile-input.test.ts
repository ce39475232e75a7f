/**
 * Hostile input: every malformed input is refused through the client (before anything starts) and through a raw
 * `temporal workflow start` (the workflow fails at once, naming the field, with no workflow-task retry loop).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { OrderInputError, startOrder } from '../../client';
import { ensureTemporalCli } from '../../tools/devstack/temporal-cli';
import { ErrorType } from '../../workflows/contract';
import { connectClient, runTestWorker, type RunningTestWorker, serverAddress, uniqueId } from '../harness/env';
import { malformedInputs } from '../harness/malformed';
import { recordErrorText } from '../harness/stack';

const run = promisify(execFile);

describe('hostile input', () => {
  let client: Client;
  let worker: RunningTestWorker;
  const taskQueue = uniqueId('hostile');
  const notCalled = async (): Promise<never> => {
    throw new Error('no activity may run for a malformed input');
  };
  const cases = malformedInputs(Date.now());

  beforeAll(async () => {
    client = await connectClient();
    worker = await runTestWorker({
      taskQueue,
      activities: { reverseCombineOrder: notCalled, compensateSubOrder: notCalled },
    });
  });
  afterAll(async () => {
    await worker.stop();
    await client.connection.close();
  });

  it(`the client refuses all ${cases.length} malformed inputs, naming the field, and starts nothing`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const [name, input, expected] of cases) {
      const err = await startOrder(client, input as never, { taskQueue }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect({ name, isInputError: err instanceof OrderInputError }).toEqual({ name, isInputError: true });
      const message = (err as Error).message;
      recordErrorText(message);
      expect({ name, matches: expected.test(message.replace(/^invalid order input: /, '')), message }).toMatchObject({
        name,
        matches: true,
      });
    }
  });

  it('a raw `temporal workflow start` with each malformed input fails at once, naming the field, without task retries', async () => {
    const cli = await ensureTemporalCli();
    const { address, namespace } = serverAddress();
    // JSON cannot carry `undefined`: those cases arrive as missing fields, which is what they test.
    const started = await Promise.all(
      cases.map(async ([name, input], i) => {
        const workflowId = uniqueId(`hostile-${i}`);
        await run(cli, [
          'workflow',
          'start',
          '--address',
          address,
          '--namespace',
          namespace,
          '--type',
          'combinePapayOrderWorkflow',
          '--task-queue',
          taskQueue,
          '--workflow-id',
          workflowId,
          '--id-reuse-policy',
          'RejectDuplicate',
          '--input',
          JSON.stringify(input),
        ]);
        return { name, workflowId };
      }),
    );
    for (const [i, { name, workflowId }] of started.entries()) {
      const expected = cases[i]![2];
      const handle = client.workflow.getHandle(workflowId);
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect({ name, failed: err instanceof WorkflowFailedError }).toEqual({ name, failed: true });
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      recordErrorText(cause.message);
      expect({ name, type: cause.type, nonRetryable: cause.nonRetryable }).toEqual({
        name,
        type: ErrorType.INVALID_ORDER_INPUT,
        nonRetryable: true,
      });
      expect({
        name,
        matches: expected.test(cause.message.replace(/^invalid order input: /, '')),
        message: cause.message,
      }).toMatchObject({ name, matches: true });
      const events = (await handle.fetchHistory()).events ?? [];
      expect({ name, taskFailures: events.filter((e) => e.workflowTaskFailedEventAttributes).length }).toEqual({
        name,
        taskFailures: 0,
      });
      expect({ name, activities: events.filter((e) => e.activityTaskScheduledEventAttributes).length }).toEqual({
        name,
        activities: 0,
      });
    }
  }, 180_000);
});
