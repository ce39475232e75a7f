/** Duration parsing shared by the client and the workflow (pure, deterministic). */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** A duration string of one or more `<number><unit>` parts (ms, s, m, h, d). */
export const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Parses a duration: a number of milliseconds, or a string such as "30m", "90s", "1h30m", "1500ms".
 * Returns undefined when the value is not a duration.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && Number.isInteger(value) ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.length === 0 || text.length > 32) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  if (!DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART_RE)) {
    const amount = Number(match[1]);
    const unit = match[2] as keyof typeof UNIT_MS;
    total += amount * UNIT_MS[unit];
  }
  return Math.round(total);
}

/** Formats milliseconds for people: "30m", "1h30m", "15s", "250ms". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  let rest = Math.round(ms / 1_000);
  const parts: string[] = [];
  for (const [unit, secs] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= secs) {
      parts.push(`${Math.floor(rest / secs)}${unit}`);
      rest %= secs;
    }
  }
  return parts.join('');
}

/** An epoch-milliseconds time as ISO-8601 (UTC). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
