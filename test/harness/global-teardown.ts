/** Jest global teardown: stops the dev server that global setup started. */
import type { DevServer } from '../../tools/devstack/dev-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__devServer as DevServer | undefined;
  await server?.stop();
}
