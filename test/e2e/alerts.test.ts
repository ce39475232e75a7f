/**
 * The alert rules live: Debian's Prometheus scrapes the worker's metrics endpoint (this run's worker runtime, with the
 * order gauges on) and the dev server's, and evaluates `ops/prometheus/rules.yml` as written; an order driven to
 * NEEDS_ATTENTION makes `CombinePapayOrderNeedsAttention` fire (seen through Prometheus's HTTP API), and the operator's `retry` resolves it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import { retryOrder, startOrder } from '../../client';
import { freePort, stopProcess, waitFor } from '../../tools/devstack/dev-server';
import { startOrderGauges, type OrderGauges } from '../../worker/order-gauges';
import { connectClient, metricsUrl } from '../harness/env';
import { orderInput, waitForPhase } from '../harness/orders';
import { seedOrder, startStack, type Stack } from '../harness/stack';
import { describeWith, PROMETHEUS } from '../harness/needs';

const ROOT = path.resolve(__dirname, '..', '..');
const ALERT = 'CombinePapayOrderNeedsAttention';

interface AlertsAnswer {
  data: { alerts: { labels: Record<string, string>; state: string }[] };
}

describeWith([PROMETHEUS])('alerts through a real Prometheus', () => {
  let stack: Stack;
  let gauges: OrderGauges;
  let prometheus: ChildProcess;
  let apiUrl: string;

  beforeAll(async () => {
    stack = await startStack();
    gauges = await startOrderGauges(stack.config, Runtime.instance().metricMeter, Runtime.instance().logger, 1_000);
    const dir = fs.mkdtempSync(path.join(process.env.TEST_WORK_DIR!, 'prometheus-'));
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ["${path.join(ROOT, 'ops', 'prometheus', 'rules.yml')}"]`,
        'scrape_configs:',
        '  - job_name: combine-papay-worker',
        `    static_configs: [{ targets: ["${new URL(metricsUrl()).host}"] }]`,
        '  - job_name: temporal-server',
        `    static_configs: [{ targets: ["${new URL(process.env.TEST_TEMPORAL_METRICS_URL!).host}"] }]`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      {
        stdio: [
          'ignore',
          fs.openSync(path.join(dir, 'prometheus.log'), 'a'),
          fs.openSync(path.join(dir, 'prometheus.log'), 'a'),
        ],
      },
    );
    await waitFor('Prometheus to be ready', async () => (await fetch(`${apiUrl}/-/ready`)).ok, { timeoutMs: 60_000 });
  });
  afterAll(async () => {
    if (prometheus) await stopProcess(prometheus);
    await gauges?.stop();
    await stack?.stop();
  });

  const alertState = async (): Promise<string> => {
    const answer = (await (await fetch(`${apiUrl}/api/v1/alerts`)).json()) as AlertsAnswer;
    const mine = answer.data.alerts.filter(
      (a) => a.labels.alertname === ALERT && (!a.labels.task_queue || a.labels.task_queue === stack.taskQueue),
    );
    return mine.some((a) => a.state === 'firing') ? 'firing' : mine.length ? 'pending' : 'inactive';
  };

  it('fires for an order in NEEDS_ATTENTION and resolves once retry finishes it', async () => {
    const client = await connectClient();
    try {
      expect(await alertState()).toBe('inactive');
      // Both targets are scraped: the worker (the product's metrics and the SDK's) and the dev server.
      await waitFor('both scrape targets up', async () => {
        const query = await fetch(`${apiUrl}/api/v1/query?query=${encodeURIComponent('sum(up)')}`);
        const answer = (await query.json()) as { data: { result: { value: [number, string] }[] } };
        return answer.data.result[0]?.value[1] === '2';
      });
      const input = orderInput({ dueInMs: 300 });
      await seedOrder(stack.peer, input);
      stack.peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo: input.combineOutTradeNo });
      const { handle } = await startOrder(client, input, { taskQueue: stack.taskQueue });
      await waitForPhase(handle, 'NEEDS_ATTENTION');
      await waitFor('the alert to fire', async () => (await alertState()) === 'firing', { timeoutMs: 180_000 });

      await retryOrder(client, input.combineOutTradeNo);
      expect((await handle.result()).outcome).toBe('REVERSED');
      await waitFor('the alert to resolve', async () => (await alertState()) === 'inactive', { timeoutMs: 60_000 });
    } finally {
      await client.connection.close();
    }
  }, 300_000);
});
