/** A minimal workflow that proves the dev server is real: a durable timer, then an activity. */
import { proxyActivities, sleep } from '@temporalio/workflow';

/** The smoke test's activity. */
export interface SmokeActivities {
  /** Echoes a greeting. */
  greet(name: string): Promise<string>;
}

const { greet } = proxyActivities<SmokeActivities>({ startToCloseTimeout: '10 seconds' });

/** Sleeps on a durable timer, then calls one activity. */
export async function smokeWorkflow(name: string): Promise<string> {
  await sleep('1 second', { summary: 'smoke timer' });
  return greet(name);
}
