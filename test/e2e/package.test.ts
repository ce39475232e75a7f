/**
 * The two packages as teams take them (docs/deploy.md, Package), each `npm pack`ed and installed from its tarball into
 * a fresh project with no Go on `PATH`:
 *
 * - the client package `combine-papay-client` (client/), into four checkouts: with npm and with pnpm, each with the
 *   Temporal SDK at the repository's version and one minor behind, installed as the README says beside the SDK's
 *   `@temporalio/client` alone (its one SDK peer; `@temporalio/common` comes with it), the ones a minor behind with
 *   that `@temporalio/common` too, as a checkout that imports it itself has it. In each: none of the worker's
 *   dependencies, one `@temporalio/common`, the README's and the integration guide's TypeScript examples type-checked
 *   against the package's declarations (and the SDK's, no `skipLibCheck`), and a JavaScript checkout that runs an
 *   order through to its reversal against the installed worker. Its install size beside the SDK (the package and its
 *   own dependencies) is measured and printed.
 * - the worker package `combine-papay-timeout` (the root), with `--omit=dev`: the installed `combine-papay-worker` (the
 *   built output, the prebuilt workflow bundle) serves this run's stack, passes the go-live check, and the installed
 *   `combine-papay-order` reads an order's state (and refuses a bad flag); the worker then stops cleanly on SIGTERM.
 *
 * A dry `npm publish --provenance` of each ships the same files as its tarball.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '../../tools/devstack/dev-server';
import { runCommand, runCommandOk } from '../../tools/devstack/run-command';
import { HEALTH_PATHS, probeStatus } from '../../worker/health';
import { serverAddress } from '../harness/env';
import { dueFromNow, orderInput } from '../harness/orders';
import { seedOrder, startStack, type Stack } from '../harness/stack';

/** What the go-live check needs beyond the test stack's environment (its floor is a test's 1 s). */
const LIVE_SETTINGS = {
  WECHATPAY_MIN_PAY_WINDOW: '60s',
  WORKER_DEPLOYMENT_NAME: 'combine-papay',
  WORKER_BUILD_ID: 'pkg',
};
/** The checkout's order is due this long after the checkout is spawned: Node, connect, start and a status read fit. */
const CHECKOUT_DUE_MS = 15_000;
const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE = 'combine-papay-timeout';
const CLIENT_PACKAGE = 'combine-papay-client';
const CLIENT_DIR = path.join(ROOT, 'client');
/** The repository's manifest: the SDK it builds with and its Node types. */
const ROOT_MANIFEST = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** The SDK the repository builds with, and the one minor behind it a checkout may still run. */
const SDK = ROOT_MANIFEST.dependencies['@temporalio/client']!;
const SDK_BEHIND = '1.23.0';
/** The checkout's own Node types (a TypeScript checkout has them): the repository's, so the cache has them. */
const NODE_TYPES = ROOT_MANIFEST.devDependencies['@types/node']!;
/** pnpm from the npm registry (`npx -y pnpm@…`): the newest release when this was written. */
const PNPM = '12.24.0';
/** The client package's install beside the SDK (itself and its own dependencies) stays under this. */
const CLIENT_INSTALL_LIMIT = 5 * 1024 * 1024;
/** What a checkout must never get from the client package: the worker and its dependencies. */
const WORKER_ONLY = [
  '@temporalio/worker',
  '@temporalio/workflow',
  '@temporalio/activity',
  '@temporalio/core-bridge',
  '@temporalio/envconfig',
  '@swc/core',
  'webpack',
  'axios',
  'pino',
  'wechatpay-axios-plugin',
  'combine-papay-timeout',
];
/**
 * npm's or npx's script, run with this Node: the one on PATH, followed to its file (Node's own folder may hold Node
 * alone, as the npm registry's `node` package that `.ci/run` puts first on PATH does).
 */
function npmScript(name: 'npm' | 'npx'): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const bin = path.join(dir, name);
    if (dir && fs.existsSync(bin)) return fs.realpathSync(bin);
  }
  throw new Error(`no ${name} on PATH`);
}
/** A PATH with this Node first and the system's tools but no Go (and no repository tools). */
function pathWithoutGo(): string {
  const dirs = [path.dirname(process.execPath), '/usr/bin', '/bin'];
  for (const dir of dirs) expect(fs.existsSync(path.join(dir, 'go'))).toBe(false);
  return dirs.join(path.delimiter);
}

const CHECKOUT_JS = `
const fs = require('node:fs');
const { Client, Connection } = require('@temporalio/client');
const { startOrderAndBeginPayment, orderStatus, OrderNotAnsweringError } = require('${CLIENT_PACKAGE}');
(async () => {
  const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE });
  const { handle, payment } = await startOrderAndBeginPayment(client, input, { attemptId: 'pay-1' });
  const status = await orderStatus(client, input.combineOutTradeNo, { timeoutMs: '10s' });
  const result = await handle.result();
  console.log(JSON.stringify({ payments: payment.payments, phase: status.phase, outcome: result.outcome,
    namedError: typeof OrderNotAnsweringError === 'function',
    schema: require('${CLIENT_PACKAGE}/order-input.schema.json').title,
    sdk: require('@temporalio/client/package.json').version }));
  await connection.close();
})().catch((err) => { console.error(err); process.exit(1); });
`;

const CHECKOUT_TS = `
import { Client } from '@temporalio/client';
import { startOrder, markPaid, OrderPhase, type OrderInput, type OrderStatus, type StartedPayment } from '${CLIENT_PACKAGE}';
export async function place(client: Client, input: OrderInput): Promise<OrderStatus['phase']> {
  const { handle } = await startOrder(client, input, { taskQueue: 'checkout' });
  const paid = await markPaid(client, input.combineOutTradeNo, { transactionId: '4200' }, { timeoutMs: 3000 });
  const phase: OrderPhase = paid.phase;
  const started: StartedPayment | undefined = undefined;
  void handle; void started;
  return phase;
}
`;

/** One checkout of the client package: the installer and the SDK it was installed beside. */
interface Checkout {
  name: string;
  dir: string;
  tool: 'npm' | 'pnpm';
  sdk: string;
}

/** The TypeScript examples of the README and the integration guide that import the client package. */
function documentedExamples(): { file: string; code: string }[] {
  return ['README.md', 'docs/integration.md'].flatMap((file) =>
    [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```/gm)]
      .map((m) => m[1]!)
      .filter((code) => code.includes(`from '${CLIENT_PACKAGE}'`))
      .map((code) => ({ file, code })),
  );
}
/** What the examples leave to the reader: the pay call. */
const EXAMPLE_GLOBALS = `declare function payCall(input: import('${CLIENT_PACKAGE}').OrderInput): Promise<{ transactionId: string }>;\n`;

/** The packages a checkout's install holds, as `name@version`. */
function installedPackages(checkout: Checkout): string[] {
  if (checkout.tool === 'pnpm') {
    return fs
      .readdirSync(path.join(checkout.dir, 'node_modules', '.pnpm'))
      .filter((entry) => entry.includes('@') && entry !== 'lock.yaml')
      .map((entry) => {
        const at = entry.indexOf('@', 1);
        return `${entry.slice(0, at).replace('+', '/')}@${entry.slice(at + 1).replace(/_.*$/, '')}`;
      });
  }
  const lock = JSON.parse(fs.readFileSync(path.join(checkout.dir, 'node_modules', '.package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  return Object.entries(lock.packages).map(([at, p]) => `${at.replace(/^.*node_modules\//, '')}@${p.version}`);
}

/** Bytes of the files under `dir`. */
function sizeOf(dir: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) bytes += sizeOf(full);
    else if (entry.isFile()) bytes += fs.statSync(full).size;
  }
  return bytes;
}

/**
 * The client package's own install in an npm checkout: the package and what it depends on, transitively, without its
 * peers (the SDK the checkout brings anyway); and the folders of that set.
 */
function clientInstall(dir: string): { bytes: number; packages: string[] } {
  const lock = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as {
    packages: Record<string, { dependencies?: Record<string, string> }>;
  };
  const seen = new Set<string>();
  const visit = (at: string): void => {
    if (seen.has(at)) return;
    seen.add(at);
    for (const dep of Object.keys(lock.packages[at]?.dependencies ?? {})) {
      // Node's resolution: the nearest node_modules/<dep> up from the dependent.
      let base = at;
      for (;;) {
        const candidate = `${base}/node_modules/${dep}`;
        if (lock.packages[candidate]) {
          visit(candidate);
          break;
        }
        const up = base.lastIndexOf('/node_modules/');
        if (up < 0) {
          expect({ dep, of: at, found: Boolean(lock.packages[`node_modules/${dep}`]) }).toMatchObject({ found: true });
          visit(`node_modules/${dep}`);
          break;
        }
        base = base.slice(0, up);
      }
    }
  };
  visit(`node_modules/${CLIENT_PACKAGE}`);
  const packages = [...seen];
  return { bytes: packages.reduce((sum, at) => sum + sizeOf(path.join(dir, at)), 0), packages };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

describe('the two packages, installed by consumers', () => {
  let stack: Stack;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const checkouts: Checkout[] = [];
  let worker: { child: ChildProcess; output: () => string; exited: Promise<number | null> } | undefined;
  const npmCli = npmScript('npm');
  const npm = (args: string[], cwd: string): Promise<string> =>
    runCommandOk(process.execPath, [npmCli, ...args], { cwd, env, timeoutMs: 300_000 });

  /** `npm pack`s the package in `cwd` into the run's folder: its tarball and files. */
  async function pack(cwd: string): Promise<{ tarball: string; files: string[] }> {
    const packed = await npm(['pack', '--json', '--pack-destination', dir], cwd);
    const [{ filename, files }] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
    return { tarball: path.join(dir, filename), files: files.map((f) => f.path) };
  }
  /** The release as CI would publish it, dry (no login, offline): the files it would ship. */
  async function publishedFiles(cwd: string, name: string): Promise<string[]> {
    const dryRun = JSON.parse(
      await npm(['publish', '--dry-run', '--provenance', '--ignore-scripts', '--offline', '--json'], cwd),
    ) as Record<string, { files: { path: string }[] }> & { files?: { path: string }[] };
    return (dryRun[name]?.files ?? dryRun.files ?? []).map((f) => f.path);
  }

  beforeAll(async () => {
    stack = await startStack();
    await stack.stopWorker();
    dir = fs.mkdtempSync(path.join(process.env.TEST_WORK_DIR ?? os.tmpdir(), 'consumer-'));
    env = { ...process.env, PATH: pathWithoutGo(), npm_config_update_notifier: 'false' };
    // The packages: built output only (each `prepack` builds; here the suite builds first, so both are fresh).
    execFileSync(process.execPath, ['tools/scripts/build-if-stale.js'], { cwd: ROOT });
  });
  afterAll(async () => {
    if (worker?.child.pid && worker.child.exitCode === null) process.kill(-worker.child.pid, 'SIGKILL');
    await stack?.stop();
  });

  it('the client package installs beside the SDK (npm and pnpm, this minor and the one before) without the worker, and its documented examples type-check', async () => {
    const { tarball, files } = await pack(CLIENT_DIR);
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/client/index.js',
        'dist/client/index.d.ts',
        'dist/workflows/contract.d.ts',
        'dist/order-input.schema.json',
        'README.md',
        'LICENSE',
        'package.json',
      ]),
    );
    // The client and the pure modules it shares with the workflow: no workflow, activity, WeChat Pay or worker code.
    expect(files.filter((f) => !/^dist\/(client|workflows)\/[\w-]+\.(js|d\.ts)$|^dist\/order-input/.test(f))).toEqual([
      'LICENSE',
      'README.md',
      'package.json',
    ]);
    expect(files.filter((f) => /^dist\/workflows\/(index|order|reconcile|trade-bill|failures)\b/.test(f))).toEqual([]);
    expect(fs.readFileSync(path.join(CLIENT_DIR, 'LICENSE'), 'utf8')).toBe(
      fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'),
    );
    expect((await publishedFiles(CLIENT_DIR, CLIENT_PACKAGE)).sort()).toEqual([...files].sort());
    const packedReadme = execFileSync('tar', ['-xOf', tarball, 'package/README.md'], { encoding: 'utf8' });
    const links = [...packedReadme.matchAll(/\]\(([^)\s]+)/g)].map((m) => m[1]!);
    expect(links.filter((l) => !/^(https:|#)/.test(l))).toEqual([]);
    const manifest = JSON.parse(
      execFileSync('tar', ['-xOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
    ) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    // The checkout's SDK is its @temporalio/client alone: the package needs no @temporalio/common of its own (the
    // contract names the SDK's types through @temporalio/client and requires no Temporal package at run time).
    expect(manifest.peerDependencies).toEqual({
      '@temporalio/client': '^1.23.0',
      '@temporalio/interceptors-opentelemetry': '^1.23.0',
    });
    const shippedJs = execFileSync('tar', ['-xOf', tarball, '--wildcards', 'package/dist/*.js'], { encoding: 'utf8' });
    expect(shippedJs).toContain('require("@temporalio/client")');
    expect(shippedJs).not.toMatch(/require\("@temporalio\/(?!client")/);
    // Tracing is the checkout's choice (docs/integration.md "Traces"): the interceptors' peer is optional.
    expect(manifest.peerDependenciesMeta).toEqual({ '@temporalio/interceptors-opentelemetry': { optional: true } });
    expect(Object.keys(manifest.dependencies)).toEqual(['standardwebhooks']);

    const examples = documentedExamples();
    expect(examples.map((e) => e.file)).toEqual(['README.md', 'docs/integration.md']);
    const pnpmStore = path.join(dir, 'pnpm-store');
    for (const tool of ['npm', 'pnpm'] as const) {
      for (const sdk of [SDK, SDK_BEHIND]) {
        const checkout: Checkout = {
          name: `${tool}-${sdk}`,
          dir: path.join(dir, `checkout-${tool}-${sdk}`),
          tool,
          sdk,
        };
        fs.mkdirSync(checkout.dir);
        fs.writeFileSync(path.join(checkout.dir, 'package.json'), JSON.stringify({ name: 'checkout', private: true }));
        // As the README has it: the client package beside the SDK's client (its peer); a minor behind, with the SDK's
        // common of the same version as well, as a checkout that imports it itself has it.
        const packages = [
          tarball,
          `@temporalio/client@${sdk}`,
          ...(sdk === SDK_BEHIND ? [`@temporalio/common@${sdk}`] : []),
          `@types/node@${NODE_TYPES}`,
        ];
        if (tool === 'npm') {
          await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', ...packages], checkout.dir);
        } else {
          // Strict: no hoisting (a package sees only what it declares); the SDK's protobufjs build script is not run.
          await runCommandOk(
            process.execPath,
            [
              npmScript('npx'),
              '-y',
              `pnpm@${PNPM}`,
              'add',
              '--prefer-offline',
              '--store-dir',
              pnpmStore,
              '--config.hoist=false',
              '--config.strict-dep-builds=false',
              ...packages,
            ],
            { cwd: checkout.dir, env, timeoutMs: 300_000 },
          );
        }
        checkouts.push(checkout);
      }
    }

    const report: string[] = [];
    for (const checkout of checkouts) {
      const installed = installedPackages(checkout);
      const names = installed.map((p) => p.slice(0, p.lastIndexOf('@')));
      expect({ checkout: checkout.name, worker: WORKER_ONLY.filter((w) => names.includes(w)) }).toEqual({
        checkout: checkout.name,
        worker: [],
      });
      // One SDK: the checkout's (its common the one its client brings, whether the checkout named it or not). A second
      // @temporalio/common (or client) would make its types and classes differ.
      expect({
        checkout: checkout.name,
        sdk: installed.filter((p) => /^@temporalio\/(client|common)@/.test(p)).sort(),
      }).toEqual({
        checkout: checkout.name,
        sdk: [`@temporalio/client@${checkout.sdk}`, `@temporalio/common@${checkout.sdk}`],
      });
      if (checkout.tool === 'npm') {
        const own = clientInstall(checkout.dir);
        const total = sizeOf(path.join(checkout.dir, 'node_modules'));
        report.push(
          `${checkout.name}: ${CLIENT_PACKAGE} and its own dependencies ${mb(own.bytes)} (${own.packages.length} ` +
            `packages: ${own.packages.map((p) => p.replace(/^.*node_modules\//, '')).join(', ')}); the whole ` +
            `node_modules with the SDK and @types/node ${mb(total)} (${installed.length - 1} packages)`,
        );
        expect(own.bytes).toBeLessThan(CLIENT_INSTALL_LIMIT);
      }
    }
    console.log(`client package install size:\n${report.join('\n')}`);

    // The documented examples and a typed checkout, against the package's declarations and the SDK's own (no
    // skipLibCheck: a checkout one minor behind must not meet "Client is not assignable to Client").
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await Promise.all(
      checkouts.map(async (checkout) => {
        const sources = examples.map((example, i) => {
          const file = `example-${i}.mts`;
          fs.writeFileSync(path.join(checkout.dir, file), example.code);
          return file;
        });
        fs.writeFileSync(path.join(checkout.dir, 'example-globals.d.ts'), EXAMPLE_GLOBALS);
        fs.writeFileSync(path.join(checkout.dir, 'checkout.ts'), CHECKOUT_TS);
        const { stdout } = await runCommand(
          process.execPath,
          [
            tsc,
            '--noEmit',
            '--strict',
            '--module',
            'node16',
            '--moduleResolution',
            'node16',
            '--target',
            'es2022',
            '--types',
            'node',
            ...sources,
            'example-globals.d.ts',
            'checkout.ts',
          ],
          { cwd: checkout.dir, env, timeoutMs: 180_000 },
        );
        // The SDK's own declarations name modules it does not declare as its dependencies (`ms`'s types; under
        // pnpm's strict layout `protobufjs`): those are the SDK's, not the checkout's or this package's.
        const errors = stdout.split('\n').filter((line) => /^\S.*: error TS/.test(line));
        const ours = errors.filter((line) => !line.startsWith('node_modules/') || line.includes(CLIENT_PACKAGE));
        expect({ checkout: checkout.name, errors: ours }).toEqual({ checkout: checkout.name, errors: [] });
        expect({
          checkout: checkout.name,
          others: errors.filter(
            (line) => !/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?@(temporalio|grpc)\//.test(line),
          ),
        }).toEqual({ checkout: checkout.name, others: [] });
      }),
    );
  }, 300_000);

  it('the worker package installs without Go or dev dependencies, serves the checkouts with its own worker, and stops on SIGTERM', async () => {
    expect(checkouts.map((c) => c.name)).toEqual([
      `npm-${SDK}`,
      `npm-${SDK_BEHIND}`,
      `pnpm-${SDK}`,
      `pnpm-${SDK_BEHIND}`,
    ]);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const { tarball, files: packedPaths } = await pack(ROOT);
    // The registry's README links into the repository (prepack/postpack, tools/scripts/pack-readme.js); the working
    // copy is as it was.
    const packedReadme = execFileSync('tar', ['-xOf', tarball, 'package/README.md'], { encoding: 'utf8' });
    const links = [...packedReadme.matchAll(/\]\(([^)\s]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(10);
    expect(links.filter((l) => !/^(https:|mailto:|#)/.test(l))).toEqual([]);
    expect(packedReadme).toMatch(/\]\(https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/[^/]+\/docs\/operations\.md#act\)/);
    expect(packedReadme).toMatch(
      /!\[[^\]]*\]\(https:\/\/raw\.githubusercontent\.com\/[^)]+\/docs\/web-ui-needs-attention\.png\)/,
    );
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toBe(readme);
    expect(packedPaths).toEqual(
      expect.arrayContaining([
        'dist/worker/main.js',
        'dist/worker/cli/order.js',
        'dist/workflow-bundle.js',
        'bin/combine-papay-order.js',
        'bin/combine-papay-worker.js',
        'LICENSE',
        'SECURITY.md',
      ]),
    );
    // The release as CI would publish it, dry (no login, offline): the same files, with its licence and provenance.
    expect((await publishedFiles(ROOT, PACKAGE)).sort()).toEqual([...packedPaths].sort());
    expect(
      packedPaths.filter((p) =>
        /^(tools|test|client)\/|^dist\/(tools|devstack|simulator|scripts|bench|test)\//.test(p),
      ),
    ).toEqual([]);

    const consumer = path.join(dir, 'worker');
    fs.mkdirSync(consumer);
    fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'operator', private: true }));
    await npm(['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], consumer);
    const installed = path.join(consumer, 'node_modules');
    expect(fs.existsSync(path.join(installed, PACKAGE, 'dist', 'worker', 'main.js'))).toBe(true);
    for (const dev of ['typescript', 'jest', '@temporalio/testing', 'playwright-core']) {
      expect({ dev, installed: fs.existsSync(path.join(installed, dev)) }).toEqual({ dev, installed: false });
    }
    expect(fs.existsSync(path.join(installed, PACKAGE, '.tools'))).toBe(false);

    // The production worker, as documented: the installed bin with the environment's configuration.
    const healthPort = await freePort();
    const child = spawn(path.join(installed, '.bin', 'combine-papay-worker'), [], {
      cwd: consumer,
      env: { ...env, ...stack.env, WORKER_HEALTH_PORT: String(healthPort), WORKFLOW_BUNDLE_PATH: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: the cleanup stops the bin and the worker it runs, whatever happened.
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    worker = { child, output: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
    const ready = async (): Promise<boolean> => (await probeStatus(healthPort, HEALTH_PATHS.ready)) === 200;
    await waitFor('the installed worker to be ready', ready, { timeoutMs: 60_000 });
    expect(out).not.toContain('Workflow bundle created');

    // The go-live check from the installed bin, with the worker's environment: a seeded order answers signed.
    // Child processes run while this process serves the simulated WeChat Pay and order service: never block it.
    const probe = orderInput({ dueInMs: 1_000 });
    await seedOrder(stack.peer, probe);
    const preflight = await runCommandOk(
      path.join(installed, '.bin', 'combine-papay-worker'),
      ['preflight', '--query', probe.combineOutTradeNo],
      // Live settings, as a rollout goes live: the pay call's 60 s floor and a Worker Deployment version.
      { cwd: consumer, env: { ...env, ...stack.env, ...LIVE_SETTINGS }, timeoutMs: 60_000 },
    );
    expect(preflight).toContain(`PASS  signed query: ${probe.combineOutTradeNo} found, signed and verified`);
    // One warning, on purpose: no worker of this version has polled or been made current, as before a first rollout.
    expect(preflight).toMatch(
      /^WARN  current version: .*set-current-version --deployment-name combine-papay --build-id pkg /m,
    );
    expect(preflight.trim().split('\n').at(-1)).toBe('preflight: 9 passed, 1 warnings, 0 failed');

    // Each checkout that knows only the client package runs an order through to its reversal, at once: its deadline
    // counts from now, far from the checkout's start and status read (which must see AWAITING_PAYMENT).
    const { address, namespace } = serverAddress();
    const orders = await Promise.all(
      checkouts.map(async (checkout) => {
        const input = orderInput({ dueInMs: 1_000 });
        await seedOrder(stack.peer, input);
        fs.writeFileSync(path.join(checkout.dir, 'order.json'), JSON.stringify(dueFromNow(input, CHECKOUT_DUE_MS)));
        fs.writeFileSync(path.join(checkout.dir, 'checkout.js'), CHECKOUT_JS);
        const answer = await runCommandOk(process.execPath, ['checkout.js', 'order.json'], {
          cwd: checkout.dir,
          env: {
            ...env,
            TEMPORAL_ADDRESS: address,
            TEMPORAL_NAMESPACE: namespace,
            TEMPORAL_TASK_QUEUE: stack.taskQueue,
          },
          timeoutMs: 90_000,
        });
        expect({ checkout: checkout.name, answer: JSON.parse(answer) as unknown }).toEqual({
          checkout: checkout.name,
          answer: {
            payments: 1,
            phase: 'AWAITING_PAYMENT',
            outcome: 'REVERSED',
            namedError: true,
            schema: 'OrderInput',
            sdk: checkout.sdk,
          },
        });
        return input;
      }),
    );
    for (const input of orders) {
      expect(
        stack.orderService.log.filter((e) => e.combineOutTradeNo === input.combineOutTradeNo && e.effective),
      ).toHaveLength(input.subOrders.length);
    }

    // The operator's CLI from the installed bin, as the runbook has it: the order's state, and a bad flag refused.
    const orderCli = path.join(installed, '.bin', 'combine-papay-order');
    const operatorEnv = { ...env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace };
    const status = await runCommandOk(orderCli, ['status', orders[0]!.combineOutTradeNo], {
      cwd: consumer,
      env: operatorEnv,
      timeoutMs: 60_000,
    });
    expect(JSON.parse(status)).toMatchObject({ combineOutTradeNo: orders[0]!.combineOutTradeNo, phase: 'REVERSED' });
    const refused = await runCommand(orderCli, ['list', '--limit', 'abc'], { cwd: consumer, env: operatorEnv });
    expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 64, stdout: '' });
    expect(refused.stderr).toContain('--limit must be a whole number from 1 to 1000 (got "abc")');

    child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(out).toContain('worker stopped');
  }, 300_000);
});
