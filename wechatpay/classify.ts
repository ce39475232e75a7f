/**
 * What a reverse answer means for the order, in one table. Each row has a test (test/unit/classify.test.ts).
 */
import { ReverseOutcome } from '../workflows/types';
import type { ReverseAnswer } from './client';

/** The meaning of an answer. */
export type AnswerClass =
  /** Compensation may begin. */
  | { class: 'ACCEPTED'; outcome: ReverseOutcome; row: string }
  /** Our request is wrong: retrying the same bytes will not help → NEEDS_ATTENTION. */
  | { class: 'REJECTED'; row: string }
  /** Our signature, keys, clock or permissions are wrong: retry slowly, log loudly; fixing the keys resumes. */
  | { class: 'AUTH'; row: string }
  /** Outcome unknown or peer busy: retry with backoff. */
  | { class: 'TRANSIENT'; row: string }
  /** A 2xx (or signed error) whose signature failed: not an answer, retry. */
  | { class: 'UNVERIFIED'; row: string };

/** Error codes that mean the order is already closed or reversed (UNCONFIRMED names included). */
export const ALREADY_CLOSED_CODES = new Set([
  'ORDER_CLOSED',
  'ORDER_REVERSED',
  'ORDERREVERSED',
  'ORDER_ALREADY_CLOSED',
]);
/** Error codes that mean WeChat Pay has no such order. */
export const NOT_FOUND_CODES = new Set([
  'ORDER_NOT_EXIST',
  'ORDER_NOT_EXISTS',
  'ORDERNOTEXIST',
  'NOT_FOUND',
  'RESOURCE_NOT_EXISTS',
]);
/** Error codes that mean our request is malformed. */
export const REJECTED_CODES = new Set(['PARAM_ERROR', 'INVALID_REQUEST']);
/** Error codes that mean our signature or permission is wrong. */
export const AUTH_CODES = new Set(['SIGN_ERROR', 'NO_AUTH']);

/** Classifies one reverse answer. */
export function classifyReverseAnswer(answer: ReverseAnswer): AnswerClass {
  if (answer.kind === 'network') return { class: 'TRANSIENT', row: `network fault (${answer.reason})` };
  if (answer.kind === 'unverified')
    return { class: 'UNVERIFIED', row: `answer failed verification (${answer.reason})` };
  const { status, code } = answer;
  if (status >= 200 && status < 300) {
    // Only verified 2xx answers reach here: the client turns failed verification into 'unverified'.
    return { class: 'ACCEPTED', outcome: ReverseOutcome.REVERSED, row: `${status}: reversed` };
  }
  if (code && ALREADY_CLOSED_CODES.has(code)) {
    return { class: 'ACCEPTED', outcome: ReverseOutcome.ALREADY_CLOSED, row: `${status} ${code}: already closed` };
  }
  // Only a known code proves "no such order": a bare 404 may come from a proxy or a wrong base URL.
  if (code && NOT_FOUND_CODES.has(code)) {
    return { class: 'ACCEPTED', outcome: ReverseOutcome.ORDER_NOT_FOUND, row: `${status} ${code}: no such order` };
  }
  if (code && AUTH_CODES.has(code)) return { class: 'AUTH', row: `${status} ${code}` };
  if (status === 401 || status === 403) return { class: 'AUTH', row: `${status} ${code ?? 'without code'}` };
  if (status === 429) return { class: 'TRANSIENT', row: `429 ${code ?? ''}: rate limited`.trim() };
  if (status === 408) return { class: 'TRANSIENT', row: '408: request timeout' };
  if (status >= 500) return { class: 'TRANSIENT', row: `${status} ${code ?? ''}: server error`.trim() };
  if (code && REJECTED_CODES.has(code)) return { class: 'REJECTED', row: `${status} ${code}` };
  if (status >= 400) return { class: 'REJECTED', row: `${status} ${code ?? 'without code'}: unknown refusal` };
  return { class: 'TRANSIENT', row: `${status}: unexpected status` };
}
