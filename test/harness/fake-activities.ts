/**
 * Mocked activities for workflow-logic tests: a tiny model of WeChat Pay's order state (per combined order, one
 * trade state per sub-order) that the fake query reads and the fake reverse changes, plus scripts to make any call
 * fail. They record every call, so tests can check what was sent and in which order.
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { OrderActivities } from '../../activities';
import { createReversingContextActivity } from '../../activities/reversing-context';
import { connectClient, runTestWorker, uniqueId, type RunningTestWorker } from './env';
import type { CompensationRequest, EarlierRun, PaymentConfirmationRequest } from '../../workflows/contract';
import type { QueryRequest, QueryResult, ReverseRequest, ReverseResult } from '../../activities/types';

/** One recorded call. */
type Call =
  | { name: 'query'; at: number; req: QueryRequest }
  | { name: 'reverse'; at: number; req: ReverseRequest }
  | { name: 'compensate'; at: number; req: CompensationRequest }
  | { name: 'confirmPayment'; at: number; req: PaymentConfirmationRequest };

/** What the fake WeChat Pay knows of an order: absent (`undefined`), or each sub-order's state. */
type FakeOrder = { states: Record<string, string> } | undefined;

/** Mocked activities that record their calls and follow scripts. */
export class FakeActivities {
  calls: Call[] = [];
  /** The fake WeChat Pay's orders; an order not listed queries as USERPAYING for every sub-order. */
  orders = new Map<string, FakeOrder>();
  /** Return an Error to fail this attempt, a result to answer it instead of the model, or undefined for the model. */
  queryScript: (req: QueryRequest, attempt: number) => QueryResult | Error | undefined = () => undefined;
  reverseScript: (req: ReverseRequest, attempt: number) => ReverseResult | Error | undefined = () => undefined;
  compensateScript: (req: CompensationRequest, attempt: number) => Error | undefined = () => undefined;
  confirmScript: (req: PaymentConfirmationRequest, attempt: number) => Error | undefined = () => undefined;
  /** Whether the fake reverse changes the order's state (false: WeChat Pay "accepts" but nothing happens). */
  reverseTakesEffect = true;
  /** The worker's pay window floor the fake local activity answers (`WECHATPAY_MIN_PAY_WINDOW`). */
  payWindowFloorMs = 1_000;
  /** Earlier closed runs by workflow id, and whether one of them scheduled a reverse (the fake visibility). */
  earlierRuns = new Map<string, { runs: EarlierRun[]; reverseSent?: boolean }>();
  private attempts = new Map<string, number>();

  /** Forgets calls and scripts between tests. */
  reset(): void {
    this.calls = [];
    this.queryScript = () => undefined;
    this.reverseScript = () => undefined;
    this.compensateScript = () => undefined;
    this.confirmScript = () => undefined;
    this.reverseTakesEffect = true;
    this.payWindowFloorMs = 1_000;
    this.earlierRuns.clear();
  }

  /** Calls recorded for one order. */
  callsFor(no: string): Call[] {
    return this.calls.filter((c) => c.req.combineOutTradeNo === no);
  }

  activities(): OrderActivities {
    const floor = (): number => this.payWindowFloorMs;
    return {
      queryCombineOrder: async (req) => {
        this.calls.push({ name: 'query', at: Date.now(), req });
        const out = this.queryScript(req, this.bump(`query:${req.combineOutTradeNo}`)) ?? this.query(req);
        return this.settle(this.withNonce(out) ?? out);
      },
      reverseCombineOrder: async (req) => {
        this.calls.push({ name: 'reverse', at: Date.now(), req });
        const out = this.reverseScript(req, this.bump(`reverse:${req.combineOutTradeNo}`)) ?? this.reverse(req);
        return this.settle(this.withNonce(out) ?? out);
      },
      compensateSubOrder: async (req) => {
        this.calls.push({ name: 'compensate', at: Date.now(), req });
        const attempt = this.bump(`comp:${req.outTradeNo}`);
        const err = this.compensateScript(req, attempt);
        if (err) throw err;
        return { httpStatus: 200, alreadyCompensated: false, attempt };
      },
      confirmPayment: async (req) => {
        this.calls.push({ name: 'confirmPayment', at: Date.now(), req });
        const attempt = this.bump(`confirm:${req.combineOutTradeNo}`);
        const err = this.confirmScript(req, attempt);
        if (err) throw err;
        return { httpStatus: 200, alreadyConfirmed: false, attempt };
      },
      reversingContext: createReversingContextActivity({
        get payWindowFloorMs() {
          return floor();
        },
        runs: {
          earlierRuns: async (workflowId) => this.earlierRuns.get(workflowId)?.runs ?? [],
          scheduledReverse: async (workflowId) => this.earlierRuns.get(workflowId)?.reverseSent ?? false,
        },
      }),
      payWindowFloor: async () => this.payWindowFloorMs,
    };
  }

  /** Sets every sub-order of an order to one state (or the order absent with `undefined`). */
  setOrder(no: string, outTradeNos: string[], state: string | undefined): void {
    this.orders.set(
      no,
      state === undefined ? undefined : { states: Object.fromEntries(outTradeNos.map((n) => [n, state])) },
    );
  }

  private query(req: QueryRequest): QueryResult {
    const known = this.orders.has(req.combineOutTradeNo);
    const order = this.orders.get(req.combineOutTradeNo);
    if (known && !order) return { found: false, code: 'ORDER_NOT_EXIST', httpStatus: 404, host: 'main', attempt: 1 };
    const states = order?.states ?? {};
    const subOrders = Object.entries(states).map(([outTradeNo, tradeState]) => ({
      outTradeNo,
      mchid: '1900000109',
      subMchid: '1900000001',
      tradeState,
      ...(tradeState === 'SUCCESS' ? { transactionId: `4200${outTradeNo}` } : {}),
    }));
    return { found: true, subOrders, httpStatus: 200, host: 'main', attempt: 1 };
  }

  private reverse(req: ReverseRequest): ReverseResult {
    const known = this.orders.has(req.combineOutTradeNo);
    const order = this.orders.get(req.combineOutTradeNo);
    if (known && !order) {
      return {
        outcome: 'ORDER_NOT_FOUND',
        httpStatus: 404,
        code: 'ORDER_NOT_EXIST',
        verified: true,
        attempt: 1,
        host: 'main',
      };
    }
    if (this.reverseTakesEffect) {
      const states = order?.states ?? Object.fromEntries(req.subOrders.map((s) => [s.outTradeNo, 'USERPAYING']));
      for (const [no, state] of Object.entries(states)) states[no] = state === 'SUCCESS' ? 'REFUND' : 'CLOSED';
      this.orders.set(req.combineOutTradeNo, { states });
    }
    return { outcome: 'REVERSED', httpStatus: 204, verified: true, attempt: 1, host: 'main' };
  }

  private nonces = 0;

  /** A WeChat Pay answer as the real activities return it: with the signed answer's nonce (unique here too). */
  private withNonce<T extends object>(out: T | Error | undefined): T | Error | undefined {
    if (out === undefined || out instanceof Error || 'answerNonce' in out) return out;
    return { ...out, answerNonce: `fake-${++this.nonces}` };
  }

  private settle<T>(out: T | Error): T {
    if (out instanceof ApplicationFailure && !out.nonRetryable) {
      // As the real activities do: remembered across attempts for when the retry window closes.
      Context.current().heartbeat({ lastFailure: { type: out.type, row: out.message } });
    }
    if (out instanceof Error) throw out;
    return out;
  }

  private bump(key: string): number {
    const n = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, n);
    return n;
  }
}

/** A suite's fake activities on a worker of its own task queue, with a client; started and stopped by jest hooks. */
export interface FakeActivitiesSuite {
  fake: FakeActivities;
  taskQueue: string;
  /** The connected client (available from the suite's `beforeAll` on). */
  client(): Client;
  /** Waits `ms` of the server's time: skipped on the time-skipping server, real elsewhere (for polling loops). */
  pause: (ms: number) => Promise<void>;
}

/**
 * Registers the hooks every mocked-activity workflow suite needs (call it inside `describe`): a client, a worker with
 * {@link FakeActivities} on a unique task queue named after `prefix`, scripts reset before each test.
 */
export function useFakeActivitiesWorker(prefix: string): FakeActivitiesSuite {
  const fake = new FakeActivities();
  const taskQueue = uniqueId(prefix);
  let client: Client | undefined;
  let worker: RunningTestWorker | undefined;
  beforeAll(async () => {
    client = await connectClient();
    worker = await runTestWorker({ taskQueue, activities: fake.activities() });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });
  beforeEach(() => fake.reset());
  return {
    fake,
    taskQueue,
    client: () => {
      if (!client) throw new Error('the suite has not connected yet (use the client from beforeAll on)');
      return client;
    },
    pause: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}
