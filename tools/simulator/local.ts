/**
 * The local simulators as `npm start` and `npm run simulator` run them: the WeChat Pay peer and the order-service
 * stub on the given ports, keys in `<dataDir>/simulator`, and the worker environment that points at them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadOrCreateIdentity, workerEnvFor } from './keys';
import { startOrderService } from './order-service';
import { startWechatpayPeer } from './wechatpay/peer';

/**
 * The local Standard Webhooks secret (`whsec_` and 32 random bytes in base64) that signs the demo's compensations and
 * payment confirmations, generated on first start into `file` (mode 0600) and kept, so a worker started from an
 * earlier `worker.env` still matches the stub. Never a production secret.
 */
function loadOrCreateWebhookSecret(file: string): string {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `whsec_${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/** Starts both peers, keys under `dataDir`; returns them with the worker environment that uses them. */
export async function startSimulators(ports: { wechatpay: number; orderService: number }, dataDir: string) {
  const identity = loadOrCreateIdentity(path.join(dataDir, 'simulator'));
  const peer = await startWechatpayPeer(identity, { port: ports.wechatpay, settings: { delayMs: 12_000 } });
  const secretFile = path.join(dataDir, 'simulator', 'webhook-secret');
  const orderService = await startOrderService({
    port: ports.orderService,
    secrets: loadOrCreateWebhookSecret(secretFile),
  });
  const env = {
    ...workerEnvFor(identity, {
      wechatpay: peer.url,
      compensation: orderService.url,
      confirmation: orderService.confirmationUrl,
    }),
    // The worker reads the secret from the file: the environment (and worker.env) carries no key material.
    COMPENSATION_HMAC_SECRET_PATH: secretFile,
  };
  return { identity, peer, orderService, env };
}
