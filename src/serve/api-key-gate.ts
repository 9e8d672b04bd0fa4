/**
 * Optional bearer API keys with a per-key rate limit (a token bucket: `ratePerSecond` requests per
 * second on average, bursts up to `burst`). Keys are compared by SHA-256 digest in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './http-error.js';

/** Options of {@link ApiKeyGate}. */
export interface ApiKeyOptions {
  /** Accepted keys (clients send `Authorization: Bearer <key>`). */
  keys: readonly string[];
  /** Requests per second allowed per key on average (0 or absent: no limit). */
  ratePerSecond?: number;
  /** Requests a key may make at once before the rate applies (default: max(1, ratePerSecond)). */
  burst?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Checks the `Authorization` header of each request; see {@link ApiKeyOptions}. */
export class ApiKeyGate {
  readonly #keys: Buffer[];
  readonly #rate: number;
  readonly #burst: number;
  readonly #buckets = new Map<number, Bucket>();

  constructor(opts: ApiKeyOptions) {
    this.#keys = opts.keys.map(digest);
    this.#rate = opts.ratePerSecond ?? 0;
    this.#burst = opts.burst ?? Math.max(1, this.#rate);
  }

  /** Throw an HttpError 401 for a missing or unknown key, 429 (with Retry-After) over its rate. */
  check(authorization: string | undefined): void {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m)
      throw new HttpError(401, 'an API key is required: send "Authorization: Bearer <key>"', {
        'www-authenticate': 'Bearer',
      });
    const d = digest(m[1]!);
    let index = -1;
    this.#keys.forEach((k, i) => {
      if (timingSafeEqual(k, d)) index = i;
    });
    if (index < 0)
      throw new HttpError(401, 'the API key is not valid', {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
    if (this.#rate <= 0) return;
    const now = performance.now() / 1000;
    const b = this.#buckets.get(index) ?? { tokens: this.#burst, at: now };
    b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#rate);
    b.at = now;
    this.#buckets.set(index, b);
    if (b.tokens < 1) {
      const wait = Math.ceil((1 - b.tokens) / this.#rate);
      throw new HttpError(429, `rate limit: at most ${this.#rate} requests per second for this key`, {
        'retry-after': String(wait),
      });
    }
    b.tokens -= 1;
  }
}
