/** Small helpers of the benchmark: logging, percentiles, process CPU and memory, a bounded pool. */
import fs from 'node:fs';

/** One progress line on stdout, stamped with the time of day. */
export function log(line: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

/** The p-th percentile (nearest rank) of `values`; NaN when empty. */
export function percentile(values: number[], p: number): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** `v` rounded to `digits` decimals. */
export function round(v: number, digits = 2): number {
  return Number(v.toFixed(digits));
}

/** Median with its range, from repeated measurements. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/** The {@link Spread} of `samples`. */
export function spread(samples: number[], digits = 2): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    median: round(median, digits),
    min: round(sorted[0] ?? NaN, digits),
    max: round(sorted[sorted.length - 1] ?? NaN, digits),
    samples: samples.map((s) => round(s, digits)),
  };
}

/** p50 and p99 of `values`, rounded to whole milliseconds. */
export function p50p99(values: number[]): { p50: number; p99: number } {
  return { p50: Math.round(percentile(values, 50)), p99: Math.round(percentile(values, 99)) };
}

/** Resident memory of a process (MB). */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const TICKS_PER_SEC = 100;

/** CPU time (user + system, every thread) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SEC;
}

/** Each process's parent, read from /proc (a snapshot). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(Number(entry), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `roots` and every live descendant of them (a server's worker processes: PostgreSQL's backends). */
export function processTree(roots: number[]): number[] {
  const parent = parents();
  const inTree = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!inTree.has(pid) && inTree.has(ppid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  return [...inTree];
}

/**
 * CPU time used so far by `roots` and their descendants, in ms: each live process's own, plus what its exited,
 * waited-for children used (cutime + cstime), so that a backend that ended mid-batch still counts.
 */
export function treeCpuMs(roots: number[]): number {
  let ticks = 0;
  for (const pid of processTree(roots)) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // gone meanwhile
    }
  }
  return (ticks * 1000) / TICKS_PER_SEC;
}

/**
 * Memory of `roots` and their descendants (MB): the sum of each process's proportional set size (PSS: a page shared
 * by k processes counts 1/k in each, so PostgreSQL's shared buffers count once), its RSS where PSS cannot be read.
 */
export function treeMemoryMb(roots: number[]): number {
  return processTree(roots).reduce((sum, pid) => {
    try {
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const pss = /^Pss:\s+(\d+)/m.exec(rollup)?.[1];
      return sum + (pss === undefined ? rssMb(pid) : Number(pss) / 1024);
    } catch {
      return sum;
    }
  }, 0);
}

/** Runs `fn` over `items`, at most `concurrency` at a time. */
export async function pooled<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Resolves after `ms`. */
export function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Epoch milliseconds of a history event's time. */
export function eventMs(e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null } | undefined): number {
  return e?.eventTime ? Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6) : NaN;
}
