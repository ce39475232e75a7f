import type { Client } from '@temporalio/client';
import { connectClient, createTestWorker, uniqueId } from '../harness/env';
import { smokeWorkflow } from '../harness/smoke-workflows';

describe('real Temporal dev server', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectClient();
  });
  afterAll(async () => {
    await client.connection.close();
  });

  it('runs a durable timer and an activity through a real worker and keeps both in server-side history', async () => {
    const taskQueue = uniqueId('smoke');
    const workflowId = uniqueId('smoke-wf');
    const { worker, connection } = await createTestWorker({
      taskQueue,
      activities: { greet: async (name: string) => `hello, ${name}` },
    });
    try {
      const result = await worker.runUntil(
        client.workflow.execute(smokeWorkflow, { taskQueue, workflowId, args: ['temporal'] }),
      );
      expect(result).toBe('hello, temporal');
    } finally {
      await connection.close();
    }

    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const timerStarted = events.find((e) => e.timerStartedEventAttributes);
    expect(timerStarted?.timerStartedEventAttributes?.startToFireTimeout?.seconds?.toString()).toBe('1');
    expect(events.some((e) => e.timerFiredEventAttributes)).toBe(true);
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled?.activityTaskScheduledEventAttributes?.activityType?.name).toBe('greet');
    expect(events.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);
    expect(events.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(true);
  });
});
