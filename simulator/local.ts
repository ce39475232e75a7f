/**
 * The local simulators as `npm start` and `npm run simulator` run them: the WeChat Pay peer and the order-service
 * stub on the given ports, keys in `<dataDir>/simulator`, and the worker environment that points at them.
 */
import path from 'node:path';
import { loadOrCreateIdentity, workerEnvFor } from './keys';
import { startOrderService } from './order-service';
import { startWechatpayPeer } from './wechatpay/peer';

/** Local secret for signing compensation requests in the demo (not a production secret). */
const DEMO_HMAC_SECRET = 'local-demo-hmac-secret-not-for-production';

/** Starts both peers, keys under `dataDir`; returns them with the worker environment that uses them. */
export async function startSimulators(ports: { wechatpay: number; orderService: number }, dataDir: string) {
  const identity = loadOrCreateIdentity(path.join(dataDir, 'simulator'));
  const peer = await startWechatpayPeer(identity, { port: ports.wechatpay, settings: { delayMs: 12_000 } });
  const orderService = await startOrderService({ port: ports.orderService, secret: DEMO_HMAC_SECRET });
  const env = {
    ...workerEnvFor(identity, {
      wechatpay: peer.url,
      compensation: orderService.url,
      confirmation: orderService.confirmationUrl,
    }),
    COMPENSATION_HMAC_SECRET: DEMO_HMAC_SECRET,
  };
  return { identity, peer, orderService, env };
}
