/**
 * `npm run simulator`: the WeChat Pay peer and the order-service stub on fixed local ports, with keys generated into
 * .data/simulator on first start. Prints the worker environment that points at them (paths and ids, no key material).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from '../devstack/data-dir';
import { startSimulators } from '../simulator/local';

async function main(): Promise<void> {
  const wechatpayPort = Number(process.env.SIMULATOR_PORT ?? 8240);
  const orderServicePort = Number(process.env.ORDER_SERVICE_PORT ?? 8241);
  const { peer, orderService, env } = await startSimulators(
    { wechatpay: wechatpayPort, orderService: orderServicePort },
    DATA_DIR,
  );
  const envFile = path.join(DATA_DIR, 'worker.env');
  fs.writeFileSync(
    envFile,
    `${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );
  console.log(`WeChat Pay simulator: ${peer.url} (admin: ${peer.url}__admin/requests)`);
  console.log(
    `Order service stub: ${orderService.url} (admin: ${orderService.url.replace('/compensations', '')}/__admin/compensations)`,
  );
  console.log(`Worker environment written to ${envFile}; run a worker with:`);
  console.log(`  env $(cat ${envFile} | xargs) npm run worker`);
  const stop = (): void => {
    void Promise.all([peer.close(), orderService.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    console.error(
      e.code === 'EADDRINUSE'
        ? `A port is already in use (${e.message}): set SIMULATOR_PORT / ORDER_SERVICE_PORT`
        : e.message,
    );
    process.exit(1);
  });
}
