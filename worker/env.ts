/**
 * A small reader of the worker's environment: required values, integers, URLs and durations, each checked against
 * its rule. It owns the {@link ConfigError}s: every problem is collected (naming its variable) instead of thrown,
 * so that the worker reports them all at once.
 */
import { ConfigError } from '../wechatpay/keys';
import { parseDuration } from '../workflows/duration';

/** The environment as read (`process.env` or a test's own). */
export type Env = Record<string, string | undefined>;

/** Reads variables of one environment and collects what is wrong with them. */
export class EnvReader {
  /** The problems found so far, in the order found. */
  readonly problems: ConfigError[] = [];

  constructor(readonly env: Env) {}

  /** Records one problem of variable `name`. */
  problem(name: string, message: string): void {
    this.problems.push(new ConfigError(name, message));
  }

  /** The trimmed value of `name`, or undefined when unset or blank. */
  optional(name: string): string | undefined {
    return this.env[name]?.trim() || undefined;
  }

  /** Runs `fn`; a thrown {@link ConfigError} (or any error, as `TEMPORAL_*`) becomes a problem and undefined. */
  attempt<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ConfigError) this.problems.push(err);
      else this.problems.push(new ConfigError('TEMPORAL_*', `could not be read (${(err as Error).message})`));
      return undefined;
    }
  }

  /** The trimmed value of `name`; a problem if unset or blank. */
  required(name: string): string | undefined {
    const value = this.env[name]?.trim();
    if (!value) this.problem(name, 'is required');
    return value || undefined;
  }

  /** `value` if it matches `re` (described by `rule`); a problem of `name` and undefined otherwise. */
  matching(name: string, value: string | undefined, re: RegExp, rule: string): string | undefined {
    if (value !== undefined && !re.test(value)) {
      this.problem(name, `must be ${rule}`);
      return undefined;
    }
    return value;
  }

  /** An integer from `min` to `max`; `fallback` when unset or (with a problem) invalid. */
  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problem(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return n;
  }

  /**
   * A duration in milliseconds from `min` to `max` (`range` says them in a message); `fallback` when unset or (with
   * a problem) invalid.
   */
  duration(name: string, fallback: number, min: number, max: number, range: string): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const ms = parseDuration(raw);
    if (ms === undefined || ms < min || ms > max) {
      this.problem(name, `must be a duration from ${range}, got "${raw}"`);
      return fallback;
    }
    return ms;
  }

  /**
   * An http(s) URL. `base`: a WeChat Pay base URL, which request paths are appended to and whose requests are signed:
   * no user info (the HTTP client would send it as Basic credentials in place of the signature), no query, no
   * fragment. No message ever echoes credentials or a query.
   */
  url(name: string, fallback?: string, base = false): string | undefined {
    const raw = this.env[name]?.trim() || fallback;
    if (!raw) {
      this.problem(name, 'is required');
      return undefined;
    }
    let parsed: URL;
    try {
      parsed = new URL(raw);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
    } catch {
      this.problem(name, `must be an http(s) URL, got "${redactUrlText(raw)}"`);
      return undefined;
    }
    if (base && (parsed.username || parsed.password)) {
      this.problem(
        name,
        `must not carry credentials (user:password@), got ${loggableUrl(raw)} with them: WeChat Pay requests are signed, and the credentials would replace the signature`,
      );
      return undefined;
    }
    if (base && (parsed.search || parsed.hash)) {
      this.problem(name, `must not carry a query or fragment (request paths are appended), got ${loggableUrl(raw)}`);
      return undefined;
    }
    return parsed.toString();
  }
}

/**
 * A URL as it may be logged: origin and path only — never user info (credentials), query string or fragment.
 * Anything unparseable is reported as such.
 */
export function loggableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/**
 * A bad URL value for an error message: query and fragment cut, everything before the last `@` of what remains (user
 * info, however written: `scheme://user:token@`, `scheme:user:token@`, `user:token@`) masked, at most 80 characters.
 */
export function redactUrlText(raw: string): string {
  const noQuery = raw.replace(/[?#].*$/s, '');
  const at = noQuery.lastIndexOf('@');
  if (at < 0) return noQuery.slice(0, 80);
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:(?:\/\/)?/.exec(noQuery)?.[0] ?? '';
  return `${scheme}***@${noQuery.slice(at + 1)}`.slice(0, 80);
}
