/**
 * Workflow-logic suites where waiting is the point (deadlines, pay windows, the pauses between reverse rounds) on the
 * time-skipping test server instead of the run's dev server: the same workflow bundle and {@link FakeActivities},
 * with the server's clock jumping to the next timer whenever the test waits for a result. The server is the Java SDK's
 * (tools/devstack/temporal-test-server.ts: fetched from Maven Central, run on the JDK). With `RECORD_HISTORIES=1` the
 * suite runs on the dev server instead, so the committed replay fixtures still come from a real server.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../workflows/contract';
import { INDEXED_VALUE_TYPE } from '../../worker/search-attributes';
import { ensureTestServer, testServerAvailable } from '../../tools/devstack/temporal-test-server';
import { quietRuntime, runTestWorker, uniqueId, type RunningTestWorker } from './env';
import { FakeActivities, useFakeActivitiesWorker, type FakeActivitiesSuite } from './fake-activities';
import type { Need } from './needs';

/** A JDK 17+ and Maven (or `TEMPORAL_TEST_SERVER_PATH`), for the time-skipping test server. */
export const TEST_SERVER: Need = {
  name: 'a JDK 17+ and Maven (the time-skipping test server)',
  found: () => process.env.RECORD_HISTORIES === '1' || testServerAvailable(),
  install: 'sudo apt-get install openjdk-17-jdk-headless maven (or set TEMPORAL_TEST_SERVER_PATH)',
};

/**
 * {@link useFakeActivitiesWorker} on a time-skipping server of the suite's own (call it inside `describe`). Await
 * `handle.result()` to let time skip to the order's end; poll with the suite's `pause`, which skips too.
 */
export function useTimeSkippingFakeWorker(prefix: string): FakeActivitiesSuite {
  if (process.env.RECORD_HISTORIES === '1') return useFakeActivitiesWorker(prefix);
  const fake = new FakeActivities();
  const taskQueue = uniqueId(prefix);
  let env: TestWorkflowEnvironment | undefined;
  let worker: RunningTestWorker | undefined;
  beforeAll(async () => {
    await quietRuntime();
    const path = ensureTestServer();
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    // The test server answers no listSearchAttributes (the worker's own check): register them directly.
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        CUSTOM_SEARCH_ATTRIBUTES.map((sa) => [sa.name, INDEXED_VALUE_TYPE[sa.cliType]]),
      ),
    });
    const other = { connection: env.nativeConnection, namespace: env.namespace ?? 'default' };
    worker = await runTestWorker({ taskQueue, activities: fake.activities() }, other);
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });
  beforeEach(() => fake.reset());
  const started = (): TestWorkflowEnvironment => {
    if (!env) throw new Error('the suite has not started its server yet (use it from beforeAll on)');
    return env;
  };
  return { fake, taskQueue, client: () => started().client, pause: (ms) => started().sleep(ms) };
}
