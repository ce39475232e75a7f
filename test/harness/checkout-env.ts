/**
 * The environment every suite's checkout (the client) sees, with or without a dev server: it knows the workers' pay
 * window floor the way a real checkout would, from its environment. Global setup sets it for the whole run (and the
 * processes the suites spawn); the `unit` project, which has no global setup, loads this file before each suite.
 */
import { SIMULATOR_PAY_WINDOW_FLOOR } from '../../tools/simulator/keys';

export function setCheckoutEnv(env: NodeJS.ProcessEnv = process.env): void {
  env.WECHATPAY_MIN_PAY_WINDOW = SIMULATOR_PAY_WINDOW_FLOOR;
}

setCheckoutEnv();
