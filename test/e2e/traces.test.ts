/**
 * Traces end to end: a real OTLP/HTTP (JSON) receiver on loopback, the stack's worker with
 * `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at it, and a checkout's client with the SDK's
 * `OpenTelemetryWorkflowClientInterceptor` starting one order under a span of its own. The order is reversed and
 * compensated; one trace runs from the checkout's span through StartWorkflow, RunWorkflow, the WeChat Pay activities
 * (and their HTTP calls) and the compensation activity to the order service's request (`traceparent`), and the
 * worker's log lines of the order carry its trace id.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as otel from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { startOrder } from '../../client';
import { WORKFLOW_TYPE } from '../../workflows/contract';
import { serverAddress, workerLogFile } from '../harness/env';
import { orderInput } from '../harness/orders';
import { seedOrder, startStack, TEST_HMAC_SECRET_BYTES, type Stack } from '../harness/stack';

/** One span as the receiver got it (OTLP JSON). */
interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

/** OTLP JSON ids are hex; a protobuf-style JSON encoder would send base64: both end as lowercase hex. */
function hexId(id: string): string {
  return /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

/** An OTLP AnyValue as a plain value. */
function plainValue(v: Record<string, unknown>): unknown {
  return v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue ?? v;
}

/** A receiver of OTLP/HTTP JSON traces on loopback (`POST /v1/traces`). */
async function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !/json/.test(req.headers['content-type'] ?? '')) {
        res.writeHead(415).end();
        return;
      }
      type AnyKv = { key: string; value: Record<string, unknown> };
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans?: {
          resource?: { attributes?: AnyKv[] };
          scopeSpans?: {
            spans?: { name: string; traceId: string; spanId: string; parentSpanId?: string; attributes?: AnyKv[] }[];
          }[];
        }[];
      };
      for (const rs of body.resourceSpans ?? []) {
        const name = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
        const service = typeof name === 'string' ? name : '';
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service,
              name: s.name,
              traceId: hexId(s.traceId),
              spanId: hexId(s.spanId),
              parentSpanId: s.parentSpanId ? hexId(s.parentSpanId) : '',
              attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, plainValue(a.value)])),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Waits until `check` returns a value (not undefined), polling; fails with `what` after `timeoutMs`. */
async function until<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('traces: checkout → workflow → WeChat Pay → order service, one trace over OTLP', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let stack: Stack;
  let provider: BasicTracerProvider;
  let client: Client;
  let tracer: otel.Tracer;

  beforeAll(async () => {
    receiver = await startReceiver();
    stack = await startStack({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    // The checkout's own tracer, exporting to the same receiver under its own service name.
    provider = new BasicTracerProvider({ resource: new Resource({ 'service.name': 'checkout' }) });
    provider.addSpanProcessor(new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` })));
    tracer = provider.getTracer('checkout');
    const connection = await Connection.connect({ address: serverAddress().address });
    client = new Client({
      connection,
      namespace: serverAddress().namespace,
      interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    });
  });
  afterAll(async () => {
    await client?.connection.close();
    await stack?.stop();
    await provider?.shutdown();
    await receiver?.close();
  });

  it('carries the checkout span’s trace id to every span, the order service’s traceparent and the log lines', async () => {
    const input = orderInput({ dueInMs: 300, subOrderCount: 2 });
    await seedOrder(stack.peer, input, 'PAYING');
    const parent = tracer.startSpan('checkout.place-order');
    const traceId = parent.spanContext().traceId;
    const { handle } = await otel.context.with(otel.trace.setSpan(otel.context.active(), parent), () =>
      startOrder(client, input, { taskQueue: stack.taskQueue }),
    );
    parent.end();
    expect((await handle.result()).outcome).toBe('REVERSED');

    // The spans, each of this trace.
    const want = [
      'checkout.place-order',
      `StartWorkflow:${WORKFLOW_TYPE}`,
      `RunWorkflow:${WORKFLOW_TYPE}`,
      'StartActivity:queryCombineOrder',
      'RunActivity:queryCombineOrder',
      'WeChat Pay query',
      'StartActivity:reverseCombineOrder',
      'RunActivity:reverseCombineOrder',
      'WeChat Pay reverse',
      'StartActivity:compensateSubOrder',
      'RunActivity:compensateSubOrder',
      'POST the order service',
    ];
    const ofTrace = await until('every span of the trace', () => {
      const mine = receiver.spans.filter((s) => s.traceId === traceId);
      return want.every((name) => mine.some((s) => s.name === name)) ? mine : undefined;
    });
    const names = new Set(ofTrace.map((s) => s.name));
    expect([...want].filter((n) => !names.has(n))).toEqual([]);
    // The workflow's spans and the activities' come from the worker, the first from the checkout.
    expect(ofTrace.find((s) => s.name === 'checkout.place-order')?.service).toBe('checkout');
    expect(ofTrace.find((s) => s.name === `RunWorkflow:${WORKFLOW_TYPE}`)?.service).toBe('combine-papay-worker');
    expect(ofTrace.find((s) => s.name === 'RunActivity:reverseCombineOrder')?.service).toBe('combine-papay-worker');
    // The HTTP spans: status and answer class, nothing of the bodies or keys.
    const reverseCall = ofTrace.find((s) => s.name === 'WeChat Pay reverse')!;
    expect(reverseCall.attributes).toMatchObject({ 'http.response.status_code': 204, 'wechatpay.call': 'reverse' });
    expect(typeof reverseCall.attributes['wechatpay.answer.class']).toBe('string');
    const post = ofTrace.filter((s) => s.name === 'POST the order service');
    expect(post.length).toBeGreaterThanOrEqual(input.subOrders.length);
    // No secret reaches a span: the webhook secret, the merchant's private key.
    const exported = JSON.stringify(receiver.spans);
    expect(exported).not.toContain(TEST_HMAC_SECRET_BYTES);
    expect(exported).not.toContain(Buffer.from(TEST_HMAC_SECRET_BYTES).toString('base64'));
    expect(exported).not.toMatch(/PRIVATE KEY|whsec_/);

    // The order service got each compensation with a traceparent of this trace, and the signature still verifies.
    const comps = stack.orderService.log.filter(
      (e) => e.combineOutTradeNo === input.combineOutTradeNo && e.route === 'compensate',
    );
    expect(comps.length).toBeGreaterThanOrEqual(input.subOrders.length);
    for (const c of comps) {
      expect(c.signatureOk).toBe(true);
      expect(c.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
      // The traceparent's parent is the POST's span.
      const parentId = c.traceparent!.split('-')[2];
      expect(post.map((s) => s.spanId)).toContain(parentId);
    }

    // The worker's log lines of the order carry the trace id (activities and workflow alike).
    const workflowId = handle.workflowId;
    const lines = await until('the order’s log lines', () => {
      const found = fs
        .readFileSync(workerLogFile(), 'utf8')
        .split('\n')
        .filter((l) => l.includes(workflowId))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.workflowId === workflowId);
      return found.some((l) => l.activityType === 'compensateSubOrder') ? found : undefined;
    });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.trace_id !== traceId)).toEqual([]);
    expect(lines.every((l) => typeof l.span_id === 'string')).toBe(true);
  });
});
