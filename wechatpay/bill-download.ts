/**
 * The trade bill's file, read as it arrives: where it may be fetched from (only the configured WeChat Pay hosts: our
 * signature is never sent elsewhere), and a reader that gunzips the body, splits it into lines, bounds its size and
 * computes the SHA1 of the decompressed bytes — what `hash_value` of the apply answer is compared with (the official
 * Java SDK hashes the decompressed file). The download answer is not signed: only a matching SHA1 makes the file
 * count. Nothing here buffers the whole file.
 */
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import type { WechatpayHost } from '../workflows/contract';

/** Default of `maxBillBytes`: the largest decompressed bill accepted (2 GiB). */
export const DEFAULT_MAX_BILL_BYTES = 2 * 1024 ** 3;
/** The longest line a bill may have (characters): a line is held whole, so it is bounded too. */
export const MAX_BILL_LINE_CHARS = 65_536;

/** Why a download URL is refused before anything is sent. */
export const DownloadUrlRefusal = {
  NOT_A_URL: 'download_url is not an absolute http(s) URL',
  CREDENTIALS: 'download_url carries credentials',
  FOREIGN_ORIGIN:
    'download_url is not on the configured WeChat Pay host or its backup: our signature is not sent there',
} as const;
/** One of {@link DownloadUrlRefusal}. */
export type DownloadUrlRefusal = (typeof DownloadUrlRefusal)[keyof typeof DownloadUrlRefusal];

/** The configured hosts a download may go to (`WechatpayConfig.baseUrl` / `backupBaseUrl`). */
export interface BillHosts {
  baseUrl: string;
  backupBaseUrl?: string;
}

/** Where a download goes: the absolute URL to request and which host it is; or why it is refused. */
export type DownloadTarget = { ok: true; url: string; host: WechatpayHost } | { ok: false; reason: DownloadUrlRefusal };

/**
 * Checks a `download_url` against the configured hosts (scheme, host and port must equal the base URL's or the
 * backup's; no user or password in it) and says where to send it: to the host it names, or — `useBackup`, with a
 * backup configured — to the backup host with the same path and query (the signature does not cover the host).
 */
export function downloadTarget(downloadUrl: string, hosts: BillHosts, useBackup = false): DownloadTarget {
  let url: URL;
  try {
    url = new URL(downloadUrl);
  } catch {
    return { ok: false, reason: DownloadUrlRefusal.NOT_A_URL };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: DownloadUrlRefusal.NOT_A_URL };
  if (url.username || url.password) return { ok: false, reason: DownloadUrlRefusal.CREDENTIALS };
  const main = new URL(hosts.baseUrl).origin;
  const backup = hosts.backupBaseUrl ? new URL(hosts.backupBaseUrl).origin : undefined;
  if (url.origin !== main && url.origin !== backup) return { ok: false, reason: DownloadUrlRefusal.FOREIGN_ORIGIN };
  const pathAndQuery = `${url.pathname}${url.search}`;
  if (useBackup && backup) return { ok: true, url: `${backup}${pathAndQuery}`, host: 'backup' };
  return { ok: true, url: `${url.origin}${pathAndQuery}`, host: url.origin === main ? 'main' : 'backup' };
}

/** The SHA1 (lower-case hex) of a decompressed bill: what the apply answer's `hash_value` must be. */
export function tradeBillDigest(decompressed: string | Uint8Array): string {
  return createHash('sha1').update(decompressed).digest('hex');
}

/** Why reading a bill's body stopped (the `reason` of a {@link TradeBillStreamError}). */
export const BillStreamFault = {
  /** More decompressed bytes than `maxBillBytes`. */
  TOO_LARGE: 'TOO_LARGE',
  /** A line longer than {@link MAX_BILL_LINE_CHARS}. */
  LINE_TOO_LONG: 'LINE_TOO_LONG',
  /** Not GZIP, or a GZIP stream that is corrupt or cut short. */
  CORRUPT_GZIP: 'CORRUPT_GZIP',
  /** No bytes from the peer for the idle timeout. */
  IDLE: 'IDLE',
  /** The caller cancelled (or gave up on) the download. */
  CANCELLED: 'CANCELLED',
  /** The connection failed while the body was being read. */
  NETWORK: 'NETWORK',
} as const;
/** One of {@link BillStreamFault}. */
export type BillStreamFault = (typeof BillStreamFault)[keyof typeof BillStreamFault];

/** Thrown by a bill's `lines` when its body cannot be read to the end; `message` names the bound or the fault. */
export class TradeBillStreamError extends Error {
  constructor(
    readonly reason: BillStreamFault,
    message: string,
  ) {
    super(message);
    this.name = 'TradeBillStreamError';
  }
}

/** The bill's decompressed text, line by line, and its SHA1 once read to the end. */
export interface BillLines {
  /**
   * The lines without their terminator (`\n` or `\r\n`), decoded as UTF-8, read once. Throws a
   * {@link TradeBillStreamError} when the body cannot be read to its end.
   */
  lines: AsyncIterable<string>;
  /** The SHA1 (lower-case hex) of the decompressed bytes: undefined until `lines` was read to its end without fault. */
  digest(this: void): string | undefined;
  /** Decompressed bytes read so far. */
  bytesRead(this: void): number;
}

/** How a body is read: its bound, and the hooks that tie it to the connection (idle timer, cancellation). */
export interface BillReadOptions {
  /** The largest decompressed size accepted (bytes). */
  maxBytes: number;
  /** Called before waiting for the next chunk (arms the idle timer) … */
  waiting?: () => void;
  /** … and when it came (disarms it). */
  arrived?: () => void;
  /** Why the body was destroyed, if it was destroyed from our side (idle, cancelled); read when reading fails. */
  destroyedFor?: () => TradeBillStreamError | undefined;
  /** Called once reading ended, whichever way (releases timers and listeners). */
  finished?: () => void;
}

/**
 * Reads a GZIP body as lines (see {@link BillLines}). Memory stays bounded: one decompressed chunk and one partial
 * line at a time; the peer is read only as fast as `lines` is consumed. Leaving the iteration early destroys the body.
 */
export function gunzipLines(body: NodeJS.ReadableStream, options: BillReadOptions): BillLines {
  const hash = createHash('sha1');
  let bytes = 0;
  let digest: string | undefined;
  const gunzip = zlib.createGunzip();
  const destroyBody = (): void => {
    const destroyable = body as NodeJS.ReadableStream & { destroy?: () => void };
    destroyable.destroy?.();
  };
  // Piped at once, so that a failure before the lines are read (a reset, a cancellation) has a listener; zlib buffers
  // at most its high-water mark until they are.
  pipeline(body, gunzip, () => undefined);
  async function* read(): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    const chunks = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      for (;;) {
        const next = await nextChunk(chunks, options);
        if (next.done) break;
        bytes += next.value.length;
        if (bytes > options.maxBytes) throw tooLarge(options.maxBytes);
        hash.update(next.value);
        const split = splitLines(partial + decoder.write(next.value));
        partial = split.partial;
        yield* split.lines;
      }
      const rest = partial + decoder.end();
      if (rest !== '') yield* splitLines(`${rest}\n`).lines;
      digest = hash.digest('hex');
    } finally {
      if (digest === undefined) {
        gunzip.destroy();
        destroyBody();
      }
      options.finished?.();
    }
  }
  return { lines: { [Symbol.asyncIterator]: read }, digest: () => digest, bytesRead: () => bytes };
}

/** The next decompressed chunk, with the idle hooks around the wait and every failure as a stream error. */
async function nextChunk(chunks: AsyncIterator<Buffer>, options: BillReadOptions): Promise<IteratorResult<Buffer>> {
  options.waiting?.();
  try {
    return await chunks.next();
  } catch (err) {
    throw options.destroyedFor?.() ?? streamFault(err);
  } finally {
    options.arrived?.();
  }
}

/** Text cut into whole lines (terminator `\n`, a `\r` before it dropped) and the unterminated rest. */
function splitLines(text: string): { lines: string[]; partial: string } {
  const parts = text.split('\n');
  const partial = parts.pop() ?? '';
  if (partial.length > MAX_BILL_LINE_CHARS) throw lineTooLong();
  const lines = parts.map((line) => {
    if (line.length > MAX_BILL_LINE_CHARS + 1) throw lineTooLong();
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  });
  return { lines, partial };
}

function tooLarge(maxBytes: number): TradeBillStreamError {
  return new TradeBillStreamError(
    BillStreamFault.TOO_LARGE,
    `the bill is larger than maxBillBytes (${maxBytes} bytes decompressed)`,
  );
}

function lineTooLong(): TradeBillStreamError {
  return new TradeBillStreamError(
    BillStreamFault.LINE_TOO_LONG,
    `a bill line is longer than ${MAX_BILL_LINE_CHARS} characters`,
  );
}

/** A failure of the body or of zlib as a stream error (zlib's codes start with `Z_`; the rest is the network). */
function streamFault(err: unknown): TradeBillStreamError {
  if (err instanceof TradeBillStreamError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new TradeBillStreamError(BillStreamFault.CORRUPT_GZIP, `the bill is not a whole GZIP file (${code})`);
  }
  const what = typeof code === 'string' ? code : err instanceof Error ? err.name : 'unknown error';
  return new TradeBillStreamError(BillStreamFault.NETWORK, `the bill's download failed while reading (${what})`);
}

/**
 * At most `maxBytes` of a body, as text (an error answer's JSON); the rest is dropped and the body destroyed. Never
 * throws: a failing body gives what was read.
 */
export async function readSmallBody(
  body: NodeJS.ReadableStream & AsyncIterable<Buffer>,
  maxBytes: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxBytes) break;
    }
  } catch {
    // What was read is all there is.
  }
  (body as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}
