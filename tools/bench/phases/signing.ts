/** Client-side cost of one signed WeChat Pay call (sign + HTTP + verify) against raw RSA-2048 signing. */
import { execFileSync } from 'node:child_process';
import { sign as cryptoSign } from 'node:crypto';
import http from 'node:http';
import axios from 'axios';
import { loadWorkerConfig } from '../../../worker/config';
import { createWechatpayClient } from '../../../wechatpay/client';
import type { SigningResults } from '../results';
import type { Stack } from '../stack';
import { log, round } from '../util';

const cpuMsOf = async (calls: number, fn: (i: number) => unknown): Promise<number> => {
  const c0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) await fn(i);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / calls;
};

/** openssl's own RSA-2048 signing time (ms). */
function opensslSignMs(): number {
  const speed = execFileSync('openssl', ['speed', '-seconds', '2', 'rsa2048'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = /rsa\s+2048 bits\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)\s+([\d.]+)/.exec(speed);
  return line ? Number(line[1]) * 1000 : NaN;
}

export async function measureSigning(stack: Stack, calls: number): Promise<SigningResults> {
  const config = loadWorkerConfig({
    ...stack.simEnv,
    ...stack.engine.env,
    WECHATPAY_MAX_RPS: '10000',
  });
  const reverseClient = createWechatpayClient(config.wechatpay);
  const run = Date.now().toString(36).toUpperCase();
  const call = async (i: number): Promise<void> => {
    const answer = await reverseClient.reverse({
      combineOutTradeNo: `BS${run}${i}`,
      combineAppid: 'wxd678efh567hg6787',
      subOrders: [{ mchid: '1900009191', outTradeNo: `BS${run}${i}A`, subMchid: '1900001001' }],
    });
    if (answer.kind !== 'answer' || !answer.verified) throw new Error(`unexpected answer ${JSON.stringify(answer)}`);
  };
  for (let i = 0; i < 20; i++) await call(-i - 1);
  const cpuPerCallMs = await cpuMsOf(calls, call);
  const rawSignMs = opensslSignMs();
  const message = Buffer.from(
    `POST\n/v3/ecommerce/combine-papay/transactions/X/reverse\n${Date.now()}\nnonce\n${'x'.repeat(200)}\n`,
  );
  const nodeSignMs = await cpuMsOf(calls, () => cryptoSign('sha256', message, config.wechatpay.privateKey));
  const bare = axios.create({ httpAgent: new http.Agent({ keepAlive: true }), validateStatus: () => true });
  const target = `${stack.peerUrl}v3/ecommerce/combine-papay/transactions/X/reverse`;
  const post = () => bare.post(target, { combine_appid: 'wx', sub_orders: [] });
  for (let i = 0; i < 20; i++) await post();
  const bareHttpMs = await cpuMsOf(calls, post);
  log(`signing: ${cpuPerCallMs.toFixed(3)} ms CPU per reverse call vs ${rawSignMs.toFixed(3)} ms per raw sign`);
  return {
    cpuPerReverseCallMs: round(cpuPerCallMs, 3),
    rawRsa2048SignMs: round(rawSignMs, 3),
    nodeRsa2048SignMs: round(nodeSignMs, 3),
    bareAxiosPostMs: round(bareHttpMs, 3),
    signOverheadRatio: round(cpuPerCallMs / rawSignMs),
  };
}
