/** Calls to the simulator's admin API shared by the tests, the chaos run and the benchmark. */
import type { SubOrderInput } from '../workflows/types';
import type { TradeState } from './wechatpay-peer';

/** Registers an order at the peer as a pay call would have left it (e.g. PAYING: outcome unknown; SUCCESS: debited). */
export async function seedOrder(
  peerUrl: string,
  input: { combineOutTradeNo: string; combineAppid: string; subOrders: SubOrderInput[] },
  state: TradeState = 'PAYING',
): Promise<void> {
  const res = await fetch(`${peerUrl}__admin/orders`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      combine_out_trade_no: input.combineOutTradeNo,
      combine_appid: input.combineAppid,
      sub_orders: input.subOrders.map((s) => ({ mchid: s.mchid, out_trade_no: s.outTradeNo, sub_mchid: s.subMchid })),
      state,
    }),
  });
  if (res.status !== 201)
    throw new Error(`seeding ${input.combineOutTradeNo} failed: ${res.status} ${await res.text()}`);
}
