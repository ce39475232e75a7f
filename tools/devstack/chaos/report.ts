/**
 * The chaos run's closing report (`tools/scripts/chaos.ts`): the plan → outcome table, the faults injected, the call
 * counts with their faulted shares, the violations found. Part of tools/devstack/, the libraries that bring up the
 * local stack for the entry points in tools/scripts/, the tests and the benchmarks.
 */
import type { CheckedOrder } from './invariants';
import type { OrderService } from '../../simulator/order-service';
import type { WechatpayPeer } from '../../simulator/wechatpay/peer';

/** What the run did besides the orders, for the closing line. */
export interface ChaosRunSummary {
  /** Worker SIGKILLs. */
  kills: number;
  /** Refusals lost with a worker kill (allowed to end REVERSED). */
  lostRefusals: number;
  /** The invariant violations found. */
  violations: string[];
  /** How long the run took. */
  seconds: number;
  /** `seed N, plan digest D; replay: …`: what decided the run, and the command that replays it. */
  seedLine: string;
}

const pct = (n: number, of: number): string => `${Math.round((100 * n) / Math.max(1, of))}%`;

/** Prints the summary table, call counts and violations; answers the number of faults injected. */
export function printChaosReport(
  peers: { peer: WechatpayPeer; orderService: OrderService },
  orders: readonly CheckedOrder[],
  run: ChaosRunSummary,
): number {
  const { peer, orderService } = peers;
  const table = new Map<string, number>();
  for (const o of orders) {
    const key = `${o.plan} → ${o.phase ?? 'unsettled'}`;
    table.set(key, (table.get(key) ?? 0) + 1);
  }
  console.log('\n| plan → outcome | orders |\n|---|---|');
  for (const [k, n] of [...table].sort()) console.log(`| ${k} | ${n} |`);
  console.log('\n| fault | injected |\n|---|---|');
  for (const [k, n] of [...peer.faults.injected].sort()) console.log(`| WeChat Pay ${k} | ${n} |`);
  for (const [k, n] of [...orderService.faults.injected].sort()) console.log(`| order service ${k} | ${n} |`);
  const lines = [
    calls(peer.log, 'query', 'query'),
    calls(peer.log, 'reverse', 'reverse'),
    calls(orderService.log, 'compensate', 'compensation'),
    calls(orderService.log, 'confirm', 'payment confirmation'),
  ];
  console.log(
    `\n${lines.map(([line]) => line).join('; ')}; worker kills ${run.kills}; server restarts 1; ` +
      `refusals within 3 s of a worker kill (allowed to end REVERSED) ${run.lostRefusals}; ` +
      `accepted reverse answers found in the peer log by nonce ${tiedByNonce(peer, orders)}; took ${run.seconds} s`,
  );
  console.log(run.seedLine);
  for (const v of run.violations.slice(0, 30)) {
    console.log(`VIOLATION ${v}`);
    // What WeChat Pay saw of that order, so that one run's failure can be read without rerunning it.
    const no = v.split(' ')[0];
    for (const e of peer.log.filter((entry) => entry.orderNo === no)) {
      console.log(`  ${e.at} ${e.route} ${e.status}${e.code ? ` ${e.code}` : ''}${e.fault ? ` fault ${e.fault}` : ''}`);
    }
  }
  return lines.reduce((sum, [, faulted]) => sum + faulted, 0);
}

/** The calls of one route and how many were faulted: the report's line and that number. */
function calls<R extends string>(
  log: readonly { route: R; fault?: string }[],
  route: R,
  what: string,
): [line: string, faulted: number] {
  const entries = log.filter((e) => e.route === route);
  const faulted = entries.filter((e) => e.fault !== undefined).length;
  return [`${what} calls ${entries.length}, ${faulted} faulted (${pct(faulted, entries.length)})`, faulted];
}

/** `n/m`: of the m accepted reverse answers, how many carry a nonce the peer logged (rule h's strong form). */
function tiedByNonce(peer: WechatpayPeer, orders: readonly CheckedOrder[]): string {
  const logged = new Set(peer.log.map((e) => e.answerNonce));
  const accepted = orders.flatMap((o) => {
    const reverse = o.result?.reverse;
    return reverse?.httpStatus !== undefined && reverse.outcome !== 'NOT_NEEDED' ? [reverse] : [];
  });
  return `${accepted.filter((r) => r.answerNonce !== undefined && logged.has(r.answerNonce)).length}/${accepted.length}`;
}
