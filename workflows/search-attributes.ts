/**
 * The custom search attributes this project keeps current on every order, so operators can find orders in the
 * Web UI and with `temporal workflow list --query`.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The combined order number (`combine_out_trade_no`). */
export const CombineOutTradeNoKey = defineSearchAttributeKey('CombineOutTradeNo', SearchAttributeType.KEYWORD);
/** The order's current phase, one of {@link OrderPhase}. */
export const PaymentPhaseKey = defineSearchAttributeKey('PaymentPhase', SearchAttributeType.KEYWORD);
/** When the order is reversed unless confirmed paid. */
export const PaymentDeadlineKey = defineSearchAttributeKey('PaymentDeadline', SearchAttributeType.DATETIME);
/** The secondary merchants (`sub_mchid`) of the sub-orders. */
export const SubMchIdsKey = defineSearchAttributeKey('SubMchIds', SearchAttributeType.KEYWORD_LIST);

/**
 * Name and CLI type name of each custom search attribute, as `temporal operator search-attribute create` and
 * `temporal server start-dev --search-attribute` spell them.
 */
export const CUSTOM_SEARCH_ATTRIBUTES = [
  { name: CombineOutTradeNoKey.name, cliType: 'Keyword' },
  { name: PaymentPhaseKey.name, cliType: 'Keyword' },
  { name: PaymentDeadlineKey.name, cliType: 'Datetime' },
  { name: SubMchIdsKey.name, cliType: 'KeywordList' },
] as const;
