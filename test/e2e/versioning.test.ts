/**
 * The upgrades from 1.0.0 to 1.1.0 to this checkout's version (1.2.0) with Worker Versioning (Worker Deployments):
 * `worker/main.ts` runs as version `1.0.0` and `1.1.0` with the workflow bundles they shipped
 * (test/fixtures/deployments/<version>) and as the current version with this checkout's, side by side as their own
 * processes. 1.0.0 is made current and takes orders; then 1.1.0 is made current and takes orders started as a 1.1
 * client starts them (without `SubOutTradeNos`); then the rollout ramps the current version and
 * `temporal worker deployment set-current-version` makes it current while those orders wait for their deadline. Each
 * version's orders finish on it (pinned: lifecycle 1.1 cannot replay 1.0.0's histories, and 1.2.0 upserts
 * `SubOutTradeNos` where 1.1.0 did not), new orders run on the current version (1.0 cannot replay theirs), and not
 * one workflow task fails across the switches. A 1.0.0 order waiting
 * for a human (NEEDS_ATTENTION) is moved with `temporal workflow update-options --versioning-override-behavior pinned`
 * to a compatible build (`1.0.1`, 1.0.0's workflow code) and finishes there. Every worker process exits 0 on SIGTERM.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { TypedSearchAttributes } from '@temporalio/common';
import { cancelOrder, checkOrderInput, startOrder, type OrderInput, type OrderResult } from '../../client';
import { waitFor } from '../../tools/devstack/dev-server';
import { ensureTemporalCli } from '../../tools/devstack/temporal-cli';
import { retrySignal, SubOutTradeNosKey, WORKFLOW_TYPE, workflowIdFor } from '../../workflows/contract';
import { paymentDeadline } from '../../workflows/policies';
import { initialSearchAttributes, orderMemo } from '../../workflows/visibility';
import { connectClient, serverAddress, uniqueId } from '../harness/env';
import { orderInput, waitForPhase } from '../harness/orders';
import { CURRENT_DEPLOYMENT, DEPLOYMENTS_DIR } from '../harness/record';
import { seedOrder, startStack, type Stack } from '../harness/stack';
import { spawnWorkerProcess, type WorkerProcess } from '../harness/worker-process';

const execFileAsync = promisify(execFile);
/** Two shipped versions, the new one, and a compatible build of the first (1.0.0's workflow code). */
const [A, M, B, A_FIX] = ['1.0.0', '1.1.0', CURRENT_DEPLOYMENT, '1.0.1'];
const PINNED = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Order = { input: OrderInput; handle: WorkflowHandle };

/** Starts `worker/main.ts` as version `buildId` of `deploymentName`, running the workflow bundle given. */
function spawnVersion(env: Record<string, string>, deploymentName: string, buildId: string, bundle: string) {
  return spawnWorkerProcess({
    ...env,
    WORKFLOW_BUNDLE_PATH: bundle,
    WORKER_DEPLOYMENT_NAME: deploymentName,
    WORKER_BUILD_ID: buildId,
  });
}

/** Unpacks the workflow bundle a shipped deployment version shipped into the run's work dir. */
function shippedBundle(version: string): string {
  const packed = fs.readFileSync(path.join(DEPLOYMENTS_DIR, version, 'workflow-bundle.js.gz'));
  const file = path.join(process.env.TEST_WORK_DIR ?? os.tmpdir(), `${uniqueId(`workflow-bundle-${version}`)}.js`);
  fs.writeFileSync(file, zlib.gunzipSync(packed));
  return file;
}

/** Runs the Temporal CLI on the run's dev server, asynchronously: the peers run in this process and must answer. */
async function temporalCli(cli: string, ...args: string[]): Promise<string> {
  const { address, namespace } = serverAddress();
  const run = await execFileAsync(cli, [...args, '--address', address, '--namespace', namespace], { timeout: 30_000 });
  return run.stdout;
}

/** Waits until version `buildId` polls both task queues (orders; WeChat Pay calls), as set-current-version needs. */
function versionPolling(cli: string, deploymentName: string, taskQueue: string, buildId: string): Promise<void> {
  const wanted = [`${taskQueue}/workflow`, `${taskQueue}/activity`, `${taskQueue}-wechatpay/activity`];
  return waitFor(
    `version ${buildId} to poll ${wanted.join(', ')}`,
    async () => {
      const args = ['--deployment-name', deploymentName, '--build-id', buildId, '-o', 'json'];
      const out = await temporalCli(cli, 'worker', 'deployment', 'describe-version', ...args);
      const version = JSON.parse(out) as { taskQueuesInfos?: { name: string; type: string }[] };
      const polled = (version.taskQueuesInfos ?? []).map((q) => `${q.name}/${q.type}`);
      return wanted.every((q) => polled.includes(q));
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

/** `temporal worker deployment set-current-version`, as an operator runs it, once the version polls. */
async function makeCurrent(cli: string, deploymentName: string, taskQueue: string, buildId: string): Promise<void> {
  await versionPolling(cli, deploymentName, taskQueue, buildId);
  const args = ['--deployment-name', deploymentName, '--build-id', buildId, '--yes'];
  await temporalCli(cli, 'worker', 'deployment', 'set-current-version', ...args);
}

/** The current and ramping build ids and the ramp's share, from `temporal worker deployment describe -o json`. */
function routingOf(json: string): { current?: string; ramping?: string; percentage?: number } {
  const { routingConfig: r = {} } = JSON.parse(json) as {
    routingConfig?: {
      currentVersionBuildID?: string;
      rampingVersionBuildID?: string;
      rampingVersionPercentage?: number;
    };
  };
  return { current: r.currentVersionBuildID, ramping: r.rampingVersionBuildID, percentage: r.rampingVersionPercentage };
}

/** Starts `count` orders due in `dueInMs`, each seeded at the peer as "paying" (`prepare` may add faults first). */
function startOrders(
  client: Client,
  stack: Stack,
  count: number,
  dueInMs: number,
  prepare?: (input: OrderInput) => void,
): Promise<Order[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const input = orderInput({ dueInMs });
      prepare?.(input);
      await seedOrder(stack.peer, input);
      return { input, handle: (await startOrder(client, input, { taskQueue: stack.taskQueue })).handle };
    }),
  );
}

/**
 * Starts `count` orders as a 1.1 client started them: every search attribute but `SubOutTradeNos`, the memo's
 * `order`. Each seeded at the peer as "paying".
 */
function startOrdersAs11Client(client: Client, stack: Stack, count: number, dueInMs: number): Promise<Order[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const input = orderInput({ dueInMs });
      await seedOrder(stack.peer, input);
      const spec = checkOrderInput(input);
      const deadline = paymentDeadline(spec);
      const attributes = initialSearchAttributes(spec, deadline).filter((p) => p.key.name !== SubOutTradeNosKey.name);
      const handle = await client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: stack.taskQueue,
        workflowId: workflowIdFor(input.combineOutTradeNo),
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: new TypedSearchAttributes(attributes),
        memo: { order: orderMemo(spec, deadline).order },
      });
      return { input, handle };
    }),
  );
}

/** The version the order's workflow tasks go to, with its versioning behavior and any override. */
async function versioningOf(handle: WorkflowHandle) {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return {
    buildId: info?.deploymentVersion?.buildId ?? undefined,
    behavior: info?.behavior,
    overrideBuildId: info?.versioningOverride?.pinned?.version?.buildId ?? undefined,
  };
}

/** The build id of the deployment version that completed a workflow task (absent: unversioned). */
function completedBy(e: HistoryEvent): string | undefined {
  const a = e.workflowTaskCompletedEventAttributes;
  return a?.deploymentVersion?.buildId ?? a?.workerDeploymentVersion?.split(':')[1] ?? undefined;
}

/** Milliseconds since the epoch of an event. */
function eventMs(e: HistoryEvent): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
}

/**
 * The order ran on `buildIds` (in that order), some of it after `since`, with no workflow task failed; it is pinned to
 * the last version.
 */
async function expectRanOn(handle: WorkflowHandle, buildIds: string[], since: number): Promise<void> {
  const events = (await handle.fetchHistory()).events ?? [];
  const id = handle.workflowId;
  const completed = events.filter((e) => e.workflowTaskCompletedEventAttributes);
  const taskFailures = events.filter((e) => e.workflowTaskFailedEventAttributes).length;
  expect({ id, taskFailures }).toEqual({ id, taskFailures: 0 });
  expect({ id, versions: [...new Set(completed.map(completedBy))] }).toEqual({ id, versions: buildIds });
  expect({ id, tasksAfter: completed.some((e) => eventMs(e) > since) }).toEqual({ id, tasksAfter: true });
  expect(await versioningOf(handle)).toMatchObject({ buildId: buildIds.at(-1), behavior: PINNED });
}

describe('Worker Versioning: the upgrades from 1.0.0 to 1.1.0 to the current version, side by side', () => {
  let client: Client;
  let stack: Stack;
  let cli: string;
  let bundleA: string;
  let bundleM: string;
  const bundleB = process.env.TEST_WORKFLOW_BUNDLE!;
  const deploymentName = uniqueId('combine-papay');
  const workers: WorkerProcess[] = [];
  /** An order of A that waits for a human across the switch (moved in the second test). */
  let stuck: Order | undefined;

  beforeAll(async () => {
    client = await connectClient();
    bundleA = shippedBundle(A);
    bundleM = shippedBundle(M);
    [cli, stack] = await Promise.all([ensureTemporalCli(), startStack()]);
    // The peers stay; the in-process (unversioned) worker gives way to the versioned worker processes.
    await stack.stopWorker();
  });
  afterAll(async () => {
    // Whatever happened, no worker process outlives the suite.
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await stack.stop();
    await client.connection.close();
  });

  it('1.1.0, then the current version made current mid-flight: each version finishes its own orders, zero task failures', async () => {
    // A-fix: a compatible build of A (same workflow code, e.g. an activity fix), where a stuck A order may move.
    for (const [buildId, bundle] of [
      [A, bundleA],
      [M, bundleM],
      [B, bundleB],
      [A_FIX, bundleA],
    ] as const) {
      workers.push(spawnVersion(stack.env, deploymentName, buildId, bundle));
    }
    await makeCurrent(cli, deploymentName, stack.taskQueue, A);
    // Orders waiting on A, due far beyond the switch (cancelled after it: their workflow tasks then show where they
    // run), and one that a rejected reverse leaves waiting for a human.
    const onA = await startOrders(client, stack, 3, 120_000);
    [stuck] = await startOrders(client, stack, 1, 300, (input) =>
      stack.peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo: input.combineOutTradeNo }),
    );
    for (const { handle } of [...onA, stuck!]) {
      await waitFor('the order to be pinned to 1.0.0', async () => (await versioningOf(handle)).buildId === A);
    }

    // 1.1.0 made current: orders started as a 1.1 client starts them (no SubOutTradeNos), due far beyond the switch.
    await makeCurrent(cli, deploymentName, stack.taskQueue, M);
    const onM = await startOrdersAs11Client(client, stack, 2, 120_000);
    for (const { handle } of onM) {
      await waitFor('the order to be pinned to 1.1.0', async () => (await versioningOf(handle)).buildId === M);
    }

    // The rollout as the README shows it: B ramps first (a share of new orders), then becomes current.
    await versionPolling(cli, deploymentName, stack.taskQueue, B);
    const ramp = ['--deployment-name', deploymentName, '--build-id', B, '--percentage', '10', '--yes'];
    await temporalCli(cli, 'worker', 'deployment', 'set-ramping-version', ...ramp);
    const described = await temporalCli(
      cli,
      'worker',
      'deployment',
      'describe',
      '--name',
      deploymentName,
      '-o',
      'json',
    );
    expect(routingOf(described)).toEqual({ current: M, ramping: B, percentage: 10 });
    await makeCurrent(cli, deploymentName, stack.taskQueue, B);
    const switchedAt = Date.now();
    for (const { input } of [...onA, ...onM]) {
      await cancelOrder(client, input.combineOutTradeNo, 'customer left after the switch');
    }
    const onB = await startOrders(client, stack, 2, 1_000);

    const orders = [...onA, ...onM, ...onB];
    const results = await Promise.all(orders.map(({ handle }) => handle.result() as Promise<OrderResult>));
    expect(results.map((r) => r.outcome)).toEqual(orders.map(() => 'REVERSED'));
    for (const { handle } of onA) await expectRanOn(handle, [A], switchedAt);
    for (const { handle } of onM) await expectRanOn(handle, [M], switchedAt);
    for (const { handle } of onB) await expectRanOn(handle, [B], switchedAt);
    // 1.1.0 never indexed the sub-orders of a start without them; the current version's starts carry them.
    expect((await onM[0]!.handle.describe()).typedSearchAttributes.get(SubOutTradeNosKey)).toBeUndefined();
    expect((await onB[0]!.handle.describe()).typedSearchAttributes.get(SubOutTradeNosKey)).toEqual(
      onB[0]!.input.subOrders.map((s) => s.outTradeNo),
    );
    // Pinning is what kept each version's orders on it: the current code replays neither older version's history
    // (1.2.0 upserts SubOutTradeNos for a start without it), nor 1.0.0 the current one's.
    const replay = (bundle: string, handle: WorkflowHandle) =>
      handle.fetchHistory().then((h) => Worker.runReplayHistory({ workflowBundle: { codePath: bundle } }, h, 'x'));
    await expect(replay(bundleB, onA[0]!.handle)).rejects.toThrow(/Replay failed/);
    await expect(replay(bundleB, onM[0]!.handle)).rejects.toThrow(/Replay failed/);
    await expect(replay(bundleA, onB[0]!.handle)).rejects.toThrow(/Replay failed/);
    await replay(bundleA, onA[0]!.handle);
    await replay(bundleM, onM[0]!.handle);
    await replay(bundleB, onB[0]!.handle);
  }, 240_000);

  it('a 1.0.0 order in NEEDS_ATTENTION moves with update-options to a compatible build and finishes there; all exit 0', async () => {
    const { handle } = stuck!;
    await waitForPhase(handle, 'NEEDS_ATTENTION', 60_000);
    expect(await versioningOf(handle)).toMatchObject({ buildId: A, behavior: PINNED });
    const override = ['--versioning-override-deployment-name', deploymentName, '--versioning-override-build-id'];
    const move = ['--workflow-id', handle.workflowId, '--versioning-override-behavior', 'pinned', ...override, A_FIX];
    await temporalCli(cli, 'workflow', 'update-options', ...move);
    expect(await versioningOf(handle)).toMatchObject({ overrideBuildId: A_FIX });
    const movedAt = Date.now();
    await handle.signal(retrySignal);
    expect(((await handle.result()) as OrderResult).outcome).toBe('REVERSED');
    await expectRanOn(handle, [A, A_FIX], movedAt);

    for (const w of workers) w.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual(workers.map(() => 0));
  }, 120_000);
});
