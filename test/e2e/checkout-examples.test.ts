/**
 * The checkout examples in other languages (examples/checkout-java, examples/checkout-go) against the real stack: the
 * suite's dev server, the product worker and the WeChat Pay peer. They know nothing but the public contract (workflow
 * type, task queue, workflow id, plain JSON input, Updates `beginPayment`/`markPaid`, Query `status`), so passing here
 * proves that any Temporal SDK can drive an order.
 *
 * Builds are cached: a build is skipped while the example's sources hash to what the last build saw (the first Maven
 * or Go build downloads the SDK and takes minutes; a cached check takes milliseconds).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { Webhook } from 'standardwebhooks';
import { DownstreamRefusal, startOrder, verifyDownstreamRequest, type DownstreamRequest } from '../../client';
import { runCommand, runCommandOk, type CommandRun } from '../../tools/devstack/run-command';
import { describeTemplateRun, runTemplateTests } from '../../tools/devstack/templates';
import {
  compensationWebhookId,
  confirmationWebhookId,
  DownstreamHeaders,
  workflowIdFor,
  type DownstreamPurpose,
  type OrderInput,
  type OrderResult,
} from '../../workflows/contract';
import { connectClient, serverAddress } from '../harness/env';
import { orderNo } from '../harness/orders';
import { seedOrder, startStack, TEST_HMAC_SECRET, TEST_HMAC_SECRET_BYTES, type Stack } from '../harness/stack';
import { describeWith, GO_1_26, JDK_AND_MAVEN } from '../harness/needs';

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * An order whose deadline falls `dueInMs` from now: created 20 s ago, pay window 2 s, so a reversal starts right at
 * the deadline (the last pay call announced well before it). Only contract fields: what a checkout would send.
 */
function checkoutInput(prefix: string, dueInMs: number): OrderInput {
  const no = orderNo(prefix);
  return {
    combineOutTradeNo: no,
    combineAppid: 'wxd678efh567hg6787',
    subOrders: [1, 2].map((i) => ({
      mchid: '1900000109',
      outTradeNo: `${no.slice(0, 28)}S${i}`,
      subMchid: `190000000${i}`,
    })),
    paymentTimeout: 20_000 + dueInMs,
    orderCreatedAt: new Date(Date.now() - 20_000).toISOString(),
    payWindow: '2s',
  };
}

/** Fewest tests a template's own suite must have run (unit and integration): a suite that lost its tests fails. */
const MIN_TEMPLATE_TESTS = 10;

/** The two purposes an order service endpoint can serve; each verifier runs once per purpose. */
const PURPOSES: readonly DownstreamPurpose[] = ['compensation', 'confirmation'];

/**
 * Real requests older than this (by `webhook-timestamp`) are left out of the comparison: every verifier refuses a
 * request more than 300 s old (STALE_TIMESTAMP), and the templates' suites run for minutes before this test. The
 * margin covers the time the three verifiers take.
 */
const FRESH_SECONDS = 200;

/** A downstream request as the order service received it: the headers by contract name, the raw body. */
type WireRequest = { headers: Record<string, string>; body: string };

/** A verdict in the templates' `verify` output form: `VERIFIED <webhook-id>` or `REFUSED_REQUEST <CODE>`. */
type Verdict = string;

/** The TypeScript sample's verdict on `request` at an endpoint of `purpose`, in the templates' `verify` form. */
function tsVerdict(request: DownstreamRequest, purpose: DownstreamPurpose): Verdict {
  const verdict = verifyDownstreamRequest(TEST_HMAC_SECRET, request, purpose);
  return verdict.ok ? `VERIFIED ${verdict.webhookId}` : `REFUSED_REQUEST ${verdict.refusal}`;
}

const refused = (code: DownstreamRefusal): Verdict => `REFUSED_REQUEST ${code}`;
/** The same verdict at both endpoints. */
const atBoth = (verdict: Verdict): Record<DownstreamPurpose, Verdict> => ({
  compensation: verdict,
  confirmation: verdict,
});
/** A valid request of `purpose` under `id`: verified there, WRONG_PURPOSE at the other endpoint. */
const validFor = (purpose: DownstreamPurpose, id: string): Record<DownstreamPurpose, Verdict> => ({
  ...atBoth(refused(DownstreamRefusal.WRONG_PURPOSE)),
  [purpose]: `VERIFIED ${id}`,
});

/** A request altered here, and the verdict every verifier must give at each endpoint. */
interface AlteredRequest {
  what: string;
  request: WireRequest;
  expected: Record<DownstreamPurpose, Verdict>;
}

/** A webhook signed here, with `secret` (the suite's unless given), under `id`, now: only a holder can make it. */
function signedHere(id: string, body: string, secret = TEST_HMAC_SECRET): WireRequest {
  const at = new Date();
  const { WEBHOOK_ID, TIMESTAMP, SIGNATURE, IDEMPOTENCY_KEY } = DownstreamHeaders;
  return {
    headers: {
      [WEBHOOK_ID]: id,
      [TIMESTAMP]: String(Math.floor(at.getTime() / 1000)),
      [SIGNATURE]: new Webhook(secret).sign(id, at, body),
      [IDEMPOTENCY_KEY]: id,
    },
    body,
  };
}

/** `text` with `from` replaced by `to`; throws when nothing changed (an alteration must alter). */
function replaced(text: string, from: string, to: string): string {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`no ${from} in ${text}`);
  return out;
}

type JsonObject = Record<string, unknown>;

/** A JSON body changed by `edit` (on its parsed copy), serialized again; throws when nothing changed. */
function editedBody(body: string, edit: (parsed: JsonObject) => void): string {
  const parsed = JSON.parse(body) as JsonObject;
  edit(parsed);
  const out = JSON.stringify(parsed);
  if (out === body) throw new Error(`the edit changed nothing in ${body}`);
  return out;
}

/**
 * Real requests altered as an attacker or a broken proxy would, and requests signed here with the right secret that
 * only a holder of the secret (or a bug of the worker) could make, each with the verdict expected at either endpoint.
 * `a` and `b` are two real compensations (different webhook-ids), `paid` a real payment confirmation.
 */
function alteredRequests(a: WireRequest, b: WireRequest, paid: WireRequest): AlteredRequest[] {
  const { WEBHOOK_ID, TIMESTAMP, SIGNATURE, IDEMPOTENCY_KEY } = DownstreamHeaders;
  const idA = a.headers[WEBHOOK_ID]!;
  const idB = b.headers[WEBHOOK_ID]!;
  const idPaid = paid.headers[WEBHOOK_ID]!;
  if (idA === idB) throw new Error('two compensations with different webhook-ids are needed');
  const dataA = (JSON.parse(a.body) as { data: { combineOutTradeNo: string; outTradeNo: string } }).data;
  const dataPaid = (
    JSON.parse(paid.body) as { data: { combineOutTradeNo: string; subOrders: { outTradeNo: string }[] } }
  ).data;
  const { BAD_SIGNATURE, STALE_TIMESTAMP, MISSING_HEADER, KEY_MISMATCH, WRONG_PURPOSE, BAD_BODY } = DownstreamRefusal;
  const recased = (request: WireRequest, recase: (name: string) => string): WireRequest => ({
    headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [recase(k), v])),
    body: request.body,
  });
  const titleCase = (name: string) =>
    name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
  // The suite's secret and another one, in one header, as the worker signs during a rotation.
  const otherSecret = `whsec_${Buffer.from('another-secret-not-held-by-the-service').toString('base64')}`;
  const rotated = signedHere(idA, a.body, otherSecret);
  return [
    {
      what: 'a compensation body changed',
      request: { headers: a.headers, body: replaced(a.body, '"reason":"', '"reason":"X') },
      expected: atBoth(refused(BAD_SIGNATURE)),
    },
    {
      what: 'a confirmation body changed',
      request: { headers: paid.headers, body: replaced(paid.body, '"mchid":"', '"mchid":"1') },
      expected: atBoth(refused(BAD_SIGNATURE)),
    },
    {
      what: "another request's webhook-id (and Idempotency-Key) on a real signature",
      request: { headers: { ...a.headers, [WEBHOOK_ID]: idB, [IDEMPOTENCY_KEY]: idB }, body: a.body },
      expected: atBoth(refused(BAD_SIGNATURE)),
    },
    {
      what: 'replayed two hours late',
      request: { headers: { ...a.headers, [TIMESTAMP]: String(Number(a.headers[TIMESTAMP]) - 7_200) }, body: a.body },
      expected: atBoth(refused(STALE_TIMESTAMP)),
    },
    {
      what: 'no webhook-signature',
      request: {
        headers: Object.fromEntries(Object.entries(a.headers).filter(([k]) => k !== SIGNATURE)),
        body: a.body,
      },
      expected: atBoth(refused(MISSING_HEADER)),
    },
    {
      what: 'header names upper-cased (still valid)',
      request: recased(b, (name) => name.toUpperCase()),
      expected: validFor('compensation', idB),
    },
    {
      what: 'header names title-cased (still valid)',
      request: recased(paid, titleCase),
      expected: validFor('confirmation', idPaid),
    },
    {
      what: 'a signature by a secret the service does not hold beside the real one (a rotation; still valid)',
      request: {
        headers: { ...a.headers, [SIGNATURE]: `${rotated.headers[SIGNATURE]} ${a.headers[SIGNATURE]}` },
        body: a.body,
      },
      expected: validFor('compensation', idA),
    },
    {
      what: 'signed only by a secret the service does not hold',
      request: rotated,
      expected: atBoth(refused(BAD_SIGNATURE)),
    },
    {
      what: 'a compensation signed here under a webhook-id its body does not imply',
      request: signedHere(`${idA}-other`, a.body),
      expected: { compensation: refused(KEY_MISMATCH), confirmation: refused(WRONG_PURPOSE) },
    },
    {
      what: 'a confirmation signed here under a webhook-id its body does not imply',
      request: signedHere(`${idPaid}X`, paid.body),
      expected: { compensation: refused(WRONG_PURPOSE), confirmation: refused(KEY_MISMATCH) },
    },
    {
      what: 'Idempotency-Key other than the webhook-id on a real signature',
      request: { headers: { ...a.headers, [IDEMPOTENCY_KEY]: idB }, body: a.body },
      expected: { compensation: refused(KEY_MISMATCH), confirmation: refused(WRONG_PURPOSE) },
    },
    {
      what: "a compensation signed here under the confirmation's webhook-id prefix",
      request: signedHere(confirmationWebhookId(dataA), a.body),
      expected: atBoth(refused(WRONG_PURPOSE)),
    },
    {
      what: "a confirmation signed here under the compensation's webhook-id prefix",
      request: signedHere(
        compensationWebhookId({
          combineOutTradeNo: dataPaid.combineOutTradeNo,
          outTradeNo: dataPaid.subOrders[0]!.outTradeNo,
        }),
        paid.body,
      ),
      expected: atBoth(refused(WRONG_PURPOSE)),
    },
    {
      what: 'a compensation without its timestamp, signed here',
      request: signedHere(
        idA,
        editedBody(a.body, (body) => delete body.timestamp),
      ),
      expected: { compensation: refused(BAD_BODY), confirmation: refused(WRONG_PURPOSE) },
    },
    {
      what: 'a compensation without data.subMchid, signed here',
      request: signedHere(
        idA,
        editedBody(a.body, (body) => delete (body.data as JsonObject).subMchid),
      ),
      expected: { compensation: refused(BAD_BODY), confirmation: refused(WRONG_PURPOSE) },
    },
    {
      what: 'a confirmation without data.subOrders[0].mchid, signed here',
      request: signedHere(
        idPaid,
        editedBody(paid.body, (body) => delete ((body.data as JsonObject).subOrders as JsonObject[])[0]!.mchid),
      ),
      expected: { compensation: refused(WRONG_PURPOSE), confirmation: refused(BAD_BODY) },
    },
  ];
}

/** Runs a program (killed after 90 s) with `env` on top of this process's environment. */
function runProgram(cmd: string, args: string[], env: Record<string, string>): Promise<CommandRun> {
  return runCommand(cmd, args, { env: { ...process.env, ...env }, timeoutMs: 90_000 });
}

/** How to build and run one example. */
interface Example {
  name: 'java' | 'go';
  dir: string;
  /** Files (absolute paths) whose content decides whether a rebuild is due. */
  sources: () => string[];
  /** Where the build leaves its artifact and the hash of the sources it was built from. */
  artifact: string;
  stamp: string;
  /** Toolchain probe (`mvn -v`, `go version`) and what to install when it fails. */
  probe: [string, string[]];
  install: string;
  build: [string, string[]];
  /** Time the program needs to start and announce its pay call: the timed-out order's deadline leaves this much. */
  startupMs: number;
  /** Command line that runs the built program with these arguments (`mode` and the order JSON; `verify` and more). */
  command: (...args: string[]) => [string, string[]];
}

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full, keep));
    else if (entry.isFile() && keep(full)) out.push(full);
  }
  return out.sort();
}

const JAVA_DIR = path.join(EXAMPLES, 'checkout-java');
const GO_DIR = path.join(EXAMPLES, 'checkout-go');
const EXAMPLE_LIST: Example[] = [
  {
    name: 'java',
    dir: JAVA_DIR,
    sources: () => [
      path.join(JAVA_DIR, 'pom.xml'),
      ...filesUnder(path.join(JAVA_DIR, 'src'), (f) => f.endsWith('.java') || f.includes('/resources/')),
    ],
    artifact: path.join(JAVA_DIR, 'target', 'checkout-java.jar'),
    stamp: path.join(JAVA_DIR, 'target', '.source-hash'),
    probe: ['mvn', ['-v']],
    install: 'a JDK 17+ and Maven (Debian: apt-get install openjdk-17-jdk-headless maven)',
    build: ['mvn', ['-B', '-q', '-Dstyle.color=never', '-DskipTests', 'package']],
    // A JVM loading the SDK: room for a loaded machine.
    startupMs: 15_000,
    command: (...args) => ['java', ['-jar', path.join(JAVA_DIR, 'target', 'checkout-java.jar'), ...args]],
  },
  {
    name: 'go',
    dir: GO_DIR,
    sources: () => filesUnder(GO_DIR, (f) => !f.includes('/bin/') && /(\.go|go\.mod|go\.sum|\.schema\.json)$/.test(f)),
    artifact: path.join(GO_DIR, 'bin', 'checkout-go'),
    stamp: path.join(GO_DIR, 'bin', '.source-hash'),
    probe: ['go', ['version']],
    install: 'Go 1.26+ (https://go.dev/doc/install; go.temporal.io/sdk v1.51.0 needs it)',
    build: ['go', ['build', '-o', 'bin/checkout-go', './cmd/checkout-go']],
    startupMs: 4_000,
    command: (...args) => [path.join(GO_DIR, 'bin', 'checkout-go'), args],
  },
];

function sourceHash(example: Example): string {
  const hash = createHash('sha256');
  for (const file of example.sources()) {
    hash.update(path.relative(example.dir, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** What a build check did, for the log. */
interface BuildReport {
  name: string;
  cached: boolean;
  ms: number;
}

/** Builds the example unless its artifact was built from the same sources. */
async function buildExample(example: Example): Promise<BuildReport> {
  const started = Date.now();
  const hash = sourceHash(example);
  if (fs.existsSync(example.artifact) && fs.existsSync(example.stamp)) {
    if (fs.readFileSync(example.stamp, 'utf8').trim() === hash) {
      return { name: example.name, cached: true, ms: Date.now() - started };
    }
  }
  const [probe, probeArgs] = example.probe;
  if (spawnSync(probe, probeArgs, { stdio: 'ignore' }).status !== 0) {
    throw new Error(`the ${example.name} example needs ${example.install}: \`${probe}\` is not usable`);
  }
  const [cmd, args] = example.build;
  const output = await runCommandOk(cmd, args, { cwd: example.dir });
  if (!fs.existsSync(example.artifact)) throw new Error(`${cmd} built no ${example.artifact}:\n${output}`);
  fs.writeFileSync(example.stamp, `${hash}\n`);
  return { name: example.name, cached: false, ms: Date.now() - started };
}

/** A finished run of an example: its exit code and output lines by tag (`RESULT`, `REFUSED`, …). */
interface Run extends CommandRun {
  /** The text after `TAG ` of every line with that tag, in order. */
  lines(tag: string): string[];
  /** The JSON after `TAG ` of the first line with that tag. */
  json<T = Record<string, unknown>>(tag: string): T;
}

describeWith([JDK_AND_MAVEN, GO_1_26])(
  'checkout examples in Java and Go drive the real worker through the public contract',
  () => {
    let client: Client;
    let stack: Stack;

    beforeAll(async () => {
      // Builds first (in parallel), then the stack: a cold build may take minutes, a warm check milliseconds.
      const reports = await Promise.all(EXAMPLE_LIST.map(buildExample));
      console.log(
        `[examples] ${reports.map((r) => `${r.name}: ${r.cached ? 'cached' : 'built'} in ${r.ms} ms`).join(', ')}`,
      );
      client = await connectClient();
      stack = await startStack();
      stack.peer.settings.repeatReversePolicy = 'NO_CONTENT';
    }, 20 * 60_000);
    afterAll(async () => {
      await stack?.stop();
      await client?.connection.close();
    });

    async function run(example: Example, mode: string, input: unknown): Promise<Run> {
      const [cmd, args] = example.command(mode, JSON.stringify(input));
      const { code, stdout, stderr } = await runProgram(cmd, args, {
        TEMPORAL_ADDRESS: stack.env.TEMPORAL_ADDRESS!,
        TEMPORAL_NAMESPACE: stack.env.TEMPORAL_NAMESPACE!,
        TEMPORAL_TASK_QUEUE: stack.taskQueue,
      });
      const all = stdout.split('\n').filter(Boolean);
      const lines = (tag: string) => all.filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(tag.length + 1));
      return {
        code,
        stdout,
        stderr,
        lines,
        json<T>(tag: string): T {
          const [first] = lines(tag);
          if (first === undefined) throw new Error(`no ${tag} line in the output:\n${stdout}\n${stderr}`);
          return JSON.parse(first) as T;
        },
      };
    }

    /** The program ended 0 with nothing on stderr (else the failure shows its whole output). */
    function expectSuccess(out: Run): void {
      if (out.code !== 0 || out.stderr !== '') {
        throw new Error(`the program ended ${out.code}\n--- stdout\n${out.stdout}--- stderr\n${out.stderr}`);
      }
    }

    async function historyOf(combineOutTradeNo: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
      return (await client.workflow.getHandle(workflowIdFor(combineOutTradeNo)).fetchHistory()).events ?? [];
    }

    /** Names of the Updates the workflow accepted (refused ones leave no event). */
    function acceptedUpdates(events: temporal.api.history.v1.IHistoryEvent[]): string[] {
      return events
        .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
        .filter((name): name is string => typeof name === 'string');
    }

    /** The started event carries the input as plain JSON (encoding `json/plain`), exactly as sent. */
    function expectPlainJsonInput(events: temporal.api.history.v1.IHistoryEvent[], input: unknown): void {
      const started = events[0]?.workflowExecutionStartedEventAttributes;
      expect(started?.workflowType?.name).toBe('combinePapayOrderWorkflow');
      expect(started?.taskQueue?.name).toBe(stack.taskQueue);
      const payload = started?.input?.payloads?.[0];
      expect(Buffer.from(payload?.metadata?.encoding ?? []).toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(payload?.data ?? []).toString())).toEqual(input);
    }

    describe.each(EXAMPLE_LIST.map((e) => [e.name, e] as const))('%s checkout', (name, example) => {
      const prefix = name === 'java' ? 'JV' : 'GO';

      it('beginPayment accepted, pay call, markPaid accepted → PAID; starting the order again joins it', async () => {
        const input = checkoutInput(prefix, 60_000);
        const out = await run(example, 'pay', input);
        expectSuccess(out);
        expect(out.json('STARTED')).toMatchObject({ workflowId: workflowIdFor(input.combineOutTradeNo) });
        expect(out.json('BEGIN_PAYMENT')).toMatchObject({
          payments: 1,
          reverseNotBefore: expect.stringMatching(ISO) as unknown,
        });
        expect(out.json('MARK_PAID')).toMatchObject({ phase: 'PAID', paidAt: expect.stringMatching(ISO) as unknown });
        expect(out.lines('REFUSED')).toEqual([]);
        expect(out.json('STATUS')).toMatchObject({ phase: 'PAID', payments: { count: 1 } });
        const result = out.json<OrderResult>('RESULT');
        expect(result).toMatchObject({
          outcome: 'PAID',
          combineOutTradeNo: input.combineOutTradeNo,
          paid: {
            source: 'MARK_PAID',
            details: { source: 'pay-response', transactionId: expect.stringMatching(/^42000000\d+$/) as unknown },
          },
        });
        // What the program printed is the workflow's own result.
        const handle = client.workflow.getHandle(workflowIdFor(input.combineOutTradeNo));
        expect(await handle.result()).toEqual(result);

        const events = await historyOf(input.combineOutTradeNo);
        expectPlainJsonInput(events, input);
        expect(acceptedUpdates(events)).toEqual(['beginPayment', 'markPaid']);
        // The start carried the order's search attributes with the workflow's values: it upserted only its phase.
        const outTradeNos = input.subOrders.map((s) => s.outTradeNo);
        const atStart = events[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields ?? {};
        expect(
          Object.fromEntries(
            Object.entries(atStart).map(([k, p]) => [k, JSON.parse(Buffer.from(p.data ?? []).toString()) as unknown]),
          ),
        ).toEqual({
          CombineOutTradeNo: input.combineOutTradeNo,
          PaymentPhase: 'AWAITING_PAYMENT',
          PaymentDeadline: expect.stringMatching(ISO) as unknown,
          SubMchIds: ['1900000001', '1900000002'],
          SubOutTradeNos: outTradeNos,
        });
        const upserted = events.flatMap((e) =>
          Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
        );
        expect(upserted).toEqual(['PaymentPhase']);
        const described = await handle.describe();
        expect(described.searchAttributes).toMatchObject({
          CombineOutTradeNo: [input.combineOutTradeNo],
          PaymentPhase: ['PAID'],
          SubOutTradeNos: outTradeNos,
        });
        expect(stack.peer.log.some((e) => e.orderNo === input.combineOutTradeNo)).toBe(false);

        // Idempotent start: the same order again joins the finished workflow and reads its result.
        const again = await run(example, 'start', input);
        expect(again.code).toBe(0);
        expect(again.lines('STARTED')).toEqual([]);
        expect(again.json('ALREADY_STARTED')).toEqual({ workflowId: workflowIdFor(input.combineOutTradeNo) });
        expect(again.json('RESULT')).toEqual(result);
      });

      it('lets an order time out → REVERSED; beginPayment and markPaid are refused once the reversal began', async () => {
        // The deadline leaves the program time to start (a JVM, an SDK) and announce its pay call first.
        const input = checkoutInput(prefix, example.startupMs);
        await seedOrder(stack.peer, input, 'PAYING');
        // The first reverse answer comes too late (the worker retries): the order stays REVERSING for a while, so
        // the program's late Updates reach a running workflow and hear its own refusal.
        stack.peer.faults.add({ route: 'reverse', kind: 'DELAY', count: 1, orderNo: input.combineOutTradeNo });
        const out = await run(example, 'timeout', input);
        expectSuccess(out);
        expect(out.json('BEGIN_PAYMENT')).toMatchObject({ payments: 1 });
        expect(out.json('PAY_CALL')).toEqual({ answer: 'TIMEOUT' });
        expect(out.lines('PHASE')).toEqual(['REVERSING']);
        const refusals = out.lines('REFUSED');
        expect(refusals).toHaveLength(2);
        expect(refusals[0]).toMatch(/^beginPayment: beginPayment refused: the order is .*do not send the pay call$/);
        expect(refusals[1]).toMatch(/^markPaid: markPaid refused: the order is .*the reversal has begun/);
        expect(out.lines('MARK_PAID')).toEqual([]);
        const result = out.json<OrderResult>('RESULT');
        expect(result).toMatchObject({
          outcome: 'REVERSED',
          reverse: { outcome: 'REVERSED', httpStatus: 204, verified: true },
        });
        expect(result.subOrders.map((s) => s.compensation)).toEqual(input.subOrders.map(() => 'DONE'));
        expect(await client.workflow.getHandle(workflowIdFor(input.combineOutTradeNo)).result()).toEqual(result);
        expect(stack.peer.orders.get(input.combineOutTradeNo)?.state).toBe('CLOSED');

        const events = await historyOf(input.combineOutTradeNo);
        expectPlainJsonInput(events, input);
        // One pay call was announced; the refused Updates left no trace in the history.
        expect(acceptedUpdates(events)).toEqual(['beginPayment']);
        expect(events.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
      });

      it('a bad input (33-character combineOutTradeNo) is refused by the schema, and by the workflow when sent anyway', async () => {
        const input: OrderInput = {
          ...checkoutInput(prefix, 60_000),
          combineOutTradeNo: orderNo(prefix).padEnd(33, 'X'),
        };
        expect(input.combineOutTradeNo).toHaveLength(33);
        // The template checks the input against its copy of the JSON Schema first: nothing is started.
        const checked = await run(example, 'start', input);
        expect(checked.code).toBe(3);
        expect(checked.lines('INVALID_INPUT').join('\n')).toContain('combineOutTradeNo');
        expect(checked.lines('STARTED')).toEqual([]);
        await expect(client.workflow.getHandle(workflowIdFor(input.combineOutTradeNo)).describe()).rejects.toThrow(
          /not found/i,
        );

        const out = await run(example, 'start-unchecked', input);
        expect(out.code).toBe(2);
        expect(out.json('STARTED')).toMatchObject({ workflowId: workflowIdFor(input.combineOutTradeNo) });
        const [failed] = out.lines('FAILED');
        expect(failed).toMatch(/^INVALID_ORDER_INPUT: invalid order input: combineOutTradeNo must be 1-32 characters/);
        expect(out.lines('RESULT')).toEqual([]);

        const events = await historyOf(input.combineOutTradeNo);
        expectPlainJsonInput(events, input);
        const failure = events.at(-1)?.workflowExecutionFailedEventAttributes?.failure;
        expect(failure?.applicationFailureInfo).toMatchObject({ type: 'INVALID_ORDER_INPUT', nonRetryable: true });
        expect(failure?.message).toContain('combineOutTradeNo');
        // Failed at its first task: no activity ran, nothing reached WeChat Pay.
        expect(events.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
      });

      it('a start that finds the order running with other terms is refused: INPUT_CONFLICT (exit 5), no pay call', async () => {
        const input = checkoutInput(prefix, 120_000);
        const { handle } = await startOrder(client, input, { taskQueue: stack.taskQueue });
        try {
          const other: OrderInput = { ...input, combineAppid: 'wxd678efh567hg6999', payWindow: '3s' };
          // A plain start compares the running run's input; Update-With-Start the terms beginPayment answers.
          for (const mode of ['start', 'pay']) {
            const out = await run(example, mode, other);
            expect({ mode, code: out.code, stderr: out.stderr }).toEqual({ mode, code: 5, stderr: '' });
            const conflicts = out.lines('INPUT_CONFLICT');
            expect({ mode, conflicts }).toEqual({
              mode,
              conflicts: [expect.stringMatching(new RegExp(`^combineAppid,payWindow: .*${input.combineOutTradeNo}`))],
            });
            expect({
              mode,
              sent: ['PAY_CALL', 'MARK_PAID', 'RESULT', 'STARTED'].flatMap((tag) => out.lines(tag)),
            }).toEqual({
              mode,
              sent: [],
            });
          }
          // The running order keeps its own input, runs on, and was never marked paid.
          const events = await historyOf(input.combineOutTradeNo);
          expectPlainJsonInput(events, input);
          expect(acceptedUpdates(events)).not.toContain('markPaid');
          expect((await handle.describe()).status.name).toBe('RUNNING');
        } finally {
          await handle.terminate('checkout-examples: input conflict test done');
        }
      });

      it(
        'its own test suite passes against the real worker (integration tests included, none skipped)',
        async () => {
          const { address, namespace } = serverAddress();
          const suite = await runTemplateTests(name, {
            TEMPORAL_ADDRESS: address,
            TEMPORAL_NAMESPACE: namespace,
            TEMPORAL_TASK_QUEUE: stack.taskQueue,
          });
          console.log(`[examples] ${describeTemplateRun(suite)}`);
          if (suite.exitCode !== 0 || suite.failed > 0)
            throw new Error(`${describeTemplateRun(suite)}\n${suite.output}`);
          expect({ failed: suite.failed, skipped: suite.skipped }).toEqual({ failed: 0, skipped: 0 });
          expect(suite.passed).toBeGreaterThanOrEqual(MIN_TEMPLATE_TESTS);
        },
        10 * 60_000,
      );
    });

    it('the verification samples (TypeScript, Java, Go) accept the requests the worker sent and refuse altered ones alike, at both endpoints', async () => {
      // Fresh requests of both purposes: an order adopted as paid (a payment confirmation) and one reversed (a
      // compensation per sub-order); earlier requests count too while their timestamps are fresh.
      const adopted = { ...checkoutInput('VA', 300), onPaidAtDeadline: 'ADOPT' as const };
      const reversed = checkoutInput('VR', 300);
      await Promise.all([seedOrder(stack.peer, adopted, 'SUCCESS'), seedOrder(stack.peer, reversed, 'PAYING')]);
      const outcomes = await Promise.all(
        [adopted, reversed].map(async (input) => {
          const started = await startOrder(client, input, { taskQueue: stack.taskQueue });
          return (await started.handle.result()).outcome;
        }),
      );
      expect(outcomes).toEqual(['PAID', 'REVERSED']);

      const now = Date.now() / 1000;
      const { WEBHOOK_ID, TIMESTAMP } = DownstreamHeaders;
      const signed = stack.orderService.log.filter((e) => e.signatureOk === true);
      const fresh = signed.filter((e) => now - Number(e.wire.headers[TIMESTAMP]) <= FRESH_SECONDS);
      // Each request is where its webhook-id says: compensations at /compensations, confirmations at the other.
      for (const entry of fresh) {
        expect(`${entry.route} ${entry.webhookId}`).toMatch(/^(compensate compensation|confirm confirmation):/);
        expect(entry.wire.headers[WEBHOOK_ID]).toBe(entry.webhookId);
      }
      const byId = (id: string) => fresh.find((e) => e.webhookId === id)?.wire;
      const paid = byId(confirmationWebhookId(adopted));
      const [a, b] = reversed.subOrders.map((s) => byId(compensationWebhookId({ ...reversed, ...s })));
      if (!paid || !a || !b) throw new Error(`the requests of this test's orders are missing from the log`);
      const real = fresh.map((e) => e.wire);
      const realIds = real.map((r) => r.headers[WEBHOOK_ID]!);
      const realCompensations = realIds.filter((id) => id.startsWith('compensation:')).length;
      const realConfirmations = realIds.filter((id) => id.startsWith('confirmation:')).length;
      expect(realCompensations).toBeGreaterThanOrEqual(2);
      expect(realConfirmations).toBeGreaterThanOrEqual(1);
      expect(realCompensations + realConfirmations).toBe(real.length);

      const altered = alteredRequests(a, b, paid);
      const requests = [...real, ...altered.map((x) => x.request)];
      // What each endpoint must answer: a real request verified at its own endpoint and refused at the other's, an
      // altered one as listed.
      const expected = Object.fromEntries(
        PURPOSES.map((purpose) => [
          purpose,
          [
            ...realIds.map((id) =>
              id.startsWith(`${purpose}:`) ? `VERIFIED ${id}` : refused(DownstreamRefusal.WRONG_PURPOSE),
            ),
            ...altered.map((x) => x.expected[purpose]),
          ],
        ]),
      ) as Record<DownstreamPurpose, Verdict[]>;
      // The TypeScript verifier gives exactly those verdicts (named per request, so a failure says which).
      for (const purpose of PURPOSES) {
        const labels = [...realIds.map((id) => `real ${id}`), ...altered.map((x) => x.what)];
        const ts = requests.map((r) => tsVerdict(r, purpose));
        expect({ purpose, verdicts: labels.map((l, i) => `${l} → ${ts[i]}`) }).toEqual({
          purpose,
          verdicts: labels.map((l, i) => `${l} → ${expected[purpose][i]}`),
        });
      }
      // Verified at each endpoint: its real requests plus the altered ones still valid there (re-cased header names;
      // at the compensation endpoint also an added signature of a secret it does not hold).
      const verified = (purpose: DownstreamPurpose) =>
        expected[purpose].filter((v) => v.startsWith('VERIFIED ')).length;
      expect({ compensation: verified('compensation'), confirmation: verified('confirmation') }).toEqual({
        compensation: realCompensations + 2,
        confirmation: realConfirmations + 1,
      });
      // Every refusal a request can cause is among them (BAD_SECRET is the service's own configuration, no request's).
      const kinds = new Set(
        PURPOSES.flatMap((p) => expected[p]).map((v) => (v.startsWith('VERIFIED ') ? 'VERIFIED' : v)),
      );
      expect(kinds).toEqual(
        new Set([
          'VERIFIED',
          ...Object.values(DownstreamRefusal)
            .filter((c) => c !== DownstreamRefusal.BAD_SECRET)
            .map(refused),
        ]),
      );

      const file = path.join(process.env.TEST_WORK_DIR ?? os.tmpdir(), `downstream-requests-${Date.now()}.json`);
      fs.writeFileSync(file, JSON.stringify(requests));
      // The secret as configured, its base64 key part and the key's own text: none may reach the output.
      const secretForms = [TEST_HMAC_SECRET, TEST_HMAC_SECRET.slice('whsec_'.length), TEST_HMAC_SECRET_BYTES];
      const expectNoSecret = (example: Example, out: CommandRun) => {
        for (const form of secretForms) {
          expect({ example: example.name, leaked: (out.stdout + out.stderr).includes(form) }).toEqual({
            example: example.name,
            leaked: false,
          });
        }
      };
      for (const example of EXAMPLE_LIST) {
        for (const purpose of PURPOSES) {
          const [cmd, args] = example.command('verify', purpose, file);
          const out = await runProgram(cmd, args, { COMPENSATION_HMAC_SECRET: TEST_HMAC_SECRET });
          expect({ example: example.name, purpose, code: out.code, stderr: out.stderr }).toEqual({
            example: example.name,
            purpose,
            code: 0,
            stderr: '',
          });
          const verdicts = out.stdout
            .split('\n')
            .filter((l) => /^(VERIFIED|REFUSED_REQUEST) /.test(l))
            .map((l) => (l.startsWith('VERIFIED ') ? l : l.replace(/^(REFUSED_REQUEST [A-Z_]+): .*$/, '$1')));
          expect({ example: example.name, purpose, verdicts }).toEqual({
            example: example.name,
            purpose,
            verdicts: expected[purpose],
          });
          expectNoSecret(example, out);
        }
        // A secret that is not a Standard Webhooks one (the raw key text) is a usage error: nothing is verified.
        const [cmd, args] = example.command('verify', 'compensation', file);
        const bad = await runProgram(cmd, args, { COMPENSATION_HMAC_SECRET: TEST_HMAC_SECRET_BYTES });
        expect({
          example: example.name,
          code: bad.code,
          verdicts: bad.stdout.match(/^(VERIFIED|REFUSED_REQUEST) /gm),
        }).toEqual({
          example: example.name,
          code: 64,
          verdicts: null,
        });
        expectNoSecret(example, bad);
      }
    });
  },
);
