/** `npm start`: the local stack on its embedded default (for now: the dev server with its Web UI). */
import fs from 'node:fs';
import path from 'node:path';
import { portInUse, startDevServer } from './dev-server';

async function main(): Promise<void> {
  const dataDir = path.resolve(__dirname, '..', '.data');
  fs.mkdirSync(dataDir, { recursive: true });
  for (const port of [7233, 8233]) {
    if (await portInUse(port)) {
      throw new Error(
        `Port ${port} is already in use: stop the other Temporal server (or process) and run npm start again`,
      );
    }
  }
  const server = await startDevServer({
    port: 7233,
    uiPort: 8233,
    dbFile: path.join(dataDir, 'temporal.sqlite'),
    logFile: path.join(dataDir, 'temporal-dev-server.log'),
  });
  console.log(`Temporal server: ${server.address} (namespace ${server.namespace})`);
  console.log(`Temporal Web UI: ${server.uiUrl}`);
  console.log('Press Ctrl-C to stop.');
  const stop = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
