/**
 * Freshness of WeChat Pay answers: a signed answer counts once. A signed "no such order" carries no order number, so
 * a byte-exact replay of one (within the 5-minute skew WeChat Pay allows) would prove "not found" for any order; the
 * answer's `Wechatpay-Nonce` is what tells a replay apart. The worker process remembers every nonce it verified for
 * twice the skew window (older answers fail the timestamp check anyway), and each order sends the nonces it accepted.
 */

/** How long a verified nonce is remembered: twice WeChat Pay's ±5-minute timestamp skew. */
export const NONCE_MEMORY_MS = 2 * 5 * 60_000;
/** Most nonces remembered (a bound on memory: 50 answers/s for 10 minutes is 30,000). */
const MAX_REMEMBERED_NONCES = 200_000;

/** Remembers verified answer nonces; {@link NonceMemory.firstTime} answers whether one is new (and records it). */
export class NonceMemory {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly memoryMs = NONCE_MEMORY_MS,
    private readonly maxEntries = MAX_REMEMBERED_NONCES,
  ) {}

  /** True the first time `nonce` is seen within the memory window (it is then remembered); false for a replay. */
  firstTime(nonce: string, now = Date.now()): boolean {
    this.forgetOlderThan(now - this.memoryMs);
    const seenAt = this.seen.get(nonce);
    if (seenAt !== undefined) return false;
    if (this.seen.size >= this.maxEntries) this.forgetOldest();
    this.seen.set(nonce, now);
    return true;
  }

  /** How many nonces are remembered. */
  get size(): number {
    return this.seen.size;
  }

  private forgetOlderThan(cutoff: number): void {
    // Insertion order is time order: stop at the first one still inside the window.
    for (const [nonce, at] of this.seen) {
      if (at >= cutoff) return;
      this.seen.delete(nonce);
    }
  }

  private forgetOldest(): void {
    const oldest = this.seen.keys().next();
    if (!oldest.done) this.seen.delete(oldest.value);
  }
}

/** The worker process's memory of verified nonces (every WeChat Pay client of the process shares it). */
export const processNonces = new NonceMemory();
