/** Fault injection shared by the simulator's two peers: rules by route, count or probability, with a seeded PRNG. */
import type { IncomingMessage } from 'node:http';

/** A seeded PRNG (mulberry32) so that probability faults replay the same way for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One fault rule. */
export interface FaultRule<Kind extends string, Route extends string> {
  id: number;
  route: Route | '*';
  kind: Kind;
  /** Fire this many times, then retire. */
  count?: number;
  /** Fire with this probability on each matching request (0–1). */
  probability?: number;
  /**
   * Only for this order (combine_out_trade_no, or a sub-order's out_trade_no downstream); on the WeChat Pay peer's
   * bill routes, a sub-merchant (`<sub_mchid>`) or one of its days (`<sub_mchid>:<bill_date>`).
   */
  orderNo?: string;
  /** For delay faults. */
  delayMs?: number;
  /** How many times it fired. */
  fired: number;
}

/**
 * A set of rules; `pick` returns the first that fires for a request. `routesOf` names the only routes a kind can act
 * on (undefined: every route); a rule naming another route is refused.
 */
export class FaultBook<Kind extends string, Route extends string> {
  private rules: FaultRule<Kind, Route>[] = [];
  private nextId = 1;
  private random: () => number;
  /** Faults injected so far, by kind. */
  readonly injected = new Map<Kind, number>();

  constructor(
    private readonly kinds: readonly Kind[],
    private readonly routes: readonly Route[],
    seed = 1,
    private readonly routesOf: (kind: Kind) => readonly Route[] | undefined = () => undefined,
  ) {
    this.random = seededRandom(seed);
  }

  /** Adds a rule after checking it; throws a message naming the bad field. */
  add(input: Record<string, unknown>): FaultRule<Kind, Route> {
    const kind = input.kind as Kind;
    if (!this.kinds.includes(kind)) throw new Error(`kind must be one of ${this.kinds.join(', ')}`);
    const route = (input.route ?? '*') as Route | '*';
    if (route !== '*' && !this.routes.includes(route))
      throw new Error(`route must be * or one of ${this.routes.join(', ')}`);
    const only = this.routesOf(kind);
    if (only && route !== '*' && !only.includes(route))
      throw new Error(`route must be * or ${only.join(' or ')} for ${kind}`);
    const count = input.count;
    const probability = input.probability;
    if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1)) {
      throw new Error('count must be a positive integer');
    }
    if (probability !== undefined && (typeof probability !== 'number' || probability < 0 || probability > 1)) {
      throw new Error('probability must be a number from 0 to 1');
    }
    if (count === undefined && probability === undefined) throw new Error('count or probability is required');
    const rule: FaultRule<Kind, Route> = {
      id: this.nextId++,
      route,
      kind,
      ...(count !== undefined ? { count } : {}),
      ...(probability !== undefined ? { probability } : {}),
      ...(typeof input.orderNo === 'string' ? { orderNo: input.orderNo } : {}),
      ...(typeof input.delayMs === 'number' ? { delayMs: input.delayMs } : {}),
      fired: 0,
    };
    this.rules.push(rule);
    return rule;
  }

  /** Removes every rule. */
  clear(): void {
    this.rules = [];
  }

  /** The active rules. */
  list(): FaultRule<Kind, Route>[] {
    return this.rules;
  }

  /**
   * The first rule that fires for this request, counting it. `orderNo`: what the request names (a rule for an order
   * fires when it is, or is one of, them). A rule whose kind cannot act on this request (`applies` says no) is passed
   * over: neither counted nor drawn for.
   */
  pick(
    route: Route,
    orderNo: string | readonly string[] | undefined,
    applies: (kind: Kind) => boolean = () => true,
  ): FaultRule<Kind, Route> | undefined {
    const names: readonly (string | undefined)[] = Array.isArray(orderNo) ? orderNo : [orderNo as string | undefined];
    for (const rule of this.rules) {
      if (rule.route !== '*' && rule.route !== route) continue;
      if (rule.orderNo !== undefined && !names.includes(rule.orderNo)) continue;
      if (!applies(rule.kind)) continue;
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      rule.fired += 1;
      this.injected.set(rule.kind, (this.injected.get(rule.kind) ?? 0) + 1);
      return rule;
    }
    return undefined;
  }
}

/** Reads a request body up to `limit` bytes; rejects with 'TOO_LARGE' beyond it. */
export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('TOO_LARGE');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Waits `ms` milliseconds (delay faults, hanging answers, a slow drip). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
