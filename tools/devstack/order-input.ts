/**
 * The one builder of sample orders for everything around the product (test harness, chaos run, cluster test,
 * benchmark, `npm start` demo): valid inputs of the public contract with sample merchant ids, varied only where a
 * caller needs it.
 */
import type { OrderInput } from '../../workflows/contract';

/** The sample merchant (`mchid`) of every sub-order: the simulator's merchant, the caller of every request. */
const SAMPLE_MCHID = '1900009191';
/** The sample combined-order appid. */
const SAMPLE_APPID = 'wxd678efh567hg6787';

/** What a sample order varies. */
export interface SampleOrderOptions {
  /** Number of sub-orders (2): `<no>S1`, `<no>S2`, … with secondary merchants 1900000001, 1900000002, … */
  subOrders?: number;
  /** When the order was created (omitted: the workflow's start time). */
  orderCreatedAt?: number;
  paymentTimeout: number | string;
  payWindow?: string;
  onPaidAtDeadline?: OrderInput['onPaidAtDeadline'];
  retryPolicy?: OrderInput['retryPolicy'];
}

/** A valid sample order numbered `no` (at most 32 characters). */
export function sampleOrderInput(no: string, options: SampleOrderOptions): OrderInput {
  const { subOrders = 2, orderCreatedAt, ...rest } = options;
  return {
    combineOutTradeNo: no,
    combineAppid: SAMPLE_APPID,
    subOrders: Array.from({ length: subOrders }, (_, i) => ({
      mchid: SAMPLE_MCHID,
      outTradeNo: `${no.slice(0, 28)}S${i + 1}`,
      subMchid: `19${String(i + 1).padStart(8, '0')}`,
    })),
    ...(orderCreatedAt !== undefined ? { orderCreatedAt: new Date(orderCreatedAt).toISOString() } : {}),
    ...rest,
  };
}
