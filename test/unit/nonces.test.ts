/** The worker process's memory of verified answer nonces: a nonce counts once within the window, memory is bounded. */
import { NonceMemory, NONCE_MEMORY_MS } from '../../wechatpay/nonces';

describe('nonce memory', () => {
  it('takes a nonce the first time and refuses it again within the window', () => {
    const memory = new NonceMemory();
    expect(memory.firstTime('n1', 1_000)).toBe(true);
    expect(memory.firstTime('n1', 2_000)).toBe(false);
    expect(memory.firstTime('n2', 2_000)).toBe(true);
  });

  it('forgets nonces older than twice the 5-minute skew (their answers fail the timestamp check anyway)', () => {
    const memory = new NonceMemory();
    memory.firstTime('old', 0);
    memory.firstTime('newer', NONCE_MEMORY_MS / 2);
    expect(memory.firstTime('probe', NONCE_MEMORY_MS + 1)).toBe(true);
    expect(memory.size).toBe(2);
    expect(memory.firstTime('newer', NONCE_MEMORY_MS + 2)).toBe(false);
  });

  it('stays within its bound, forgetting the oldest first', () => {
    const memory = new NonceMemory(NONCE_MEMORY_MS, 3);
    for (const n of ['a', 'b', 'c', 'd']) memory.firstTime(n, 10);
    expect(memory.size).toBe(3);
    expect(memory.firstTime('d', 11)).toBe(false);
    expect(memory.firstTime('a', 11)).toBe(true);
  });
});
