/**
 * `node --import tsx tools/bench/micro.ts`: two micro-benchmarks behind levers of issue 25 (tools/bench/README.md,
 * "What each lever did"): the CPU of one order-input validation, and of one keep-alive downstream POST with axios (what
 * activities/downstream.ts uses) against `node:http` alone, to a server in another process (its CPU not counted). Each
 * is run three times after a warm-up; this process's CPU per call is printed.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import axios from 'axios';
import { validateOrderInput } from '../../workflows/validation';
import { makeOrder } from './stack';
import { log } from './util';

const CALLS = Number(process.env.MICRO_CALLS ?? 2_000);

/** CPU ms per call of `fn`, `n` calls after `n / 10` unmeasured ones. */
async function cpuPerCall(n: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < n / 10; i++) await fn();
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1_000 / n;
}

/** A JSON server in its own process answering every POST with 200; resolves its URL and a stop function. */
async function startServer(): Promise<{ url: string; stop: () => void }> {
  const code = `require('http').createServer((q, s) => { q.resume(); q.on('end', () => { s.writeHead(200, {
    'content-type': 'application/json' }); s.end('{"ok":true}'); }); }).listen(0, '127.0.0.1', function () {
    console.log(this.address().port); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(String(d))));
  return { url: `http://127.0.0.1:${port.trim()}/compensate`, stop: () => child.kill() };
}

/** One POST with `node:http` on a keep-alive agent, the answer read to its end. */
function rawPost(url: string, agent: http.Agent, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    const req = http.request(url, { method: 'POST', agent, headers, signal: AbortSignal.timeout(5_000) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const input = makeOrder('MICRO0000000001', Date.now() + 3_600_000);
  const now = Date.now();
  const validation = await cpuPerCall(CALLS * 10, () => validateOrderInput(input, now));
  log(`validateOrderInput: ${(validation * 1_000).toFixed(1)} µs of CPU per call`);

  const server = await startServer();
  try {
    const agent = new http.Agent({ keepAlive: true });
    const client = axios.create({ maxRedirects: 0, validateStatus: () => true, httpAgent: agent });
    const body = JSON.stringify({ ...input.subOrders[0], combineOutTradeNo: input.combineOutTradeNo });
    const headers = { 'Content-Type': 'application/json' };
    for (let round = 1; round <= 3; round++) {
      const viaAxios = await cpuPerCall(CALLS, () =>
        client.post(server.url, body, { headers, timeout: 5_000, signal: AbortSignal.timeout(5_000) }),
      );
      const viaHttp = await cpuPerCall(CALLS, () => rawPost(server.url, agent, body));
      log(
        `round ${round}: downstream POST ${viaAxios.toFixed(3)} ms of CPU with axios, ${viaHttp.toFixed(3)} with node:http`,
      );
    }
    agent.destroy();
  } finally {
    server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
