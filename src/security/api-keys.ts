import { createHash, timingSafeEqual } from 'node:crypto';

/** sha256 of a key, as the 64 hex characters API_KEYS_FILE holds. */
export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The accepted API keys, held only as sha256 digests. A presented key is hashed and compared with every digest in
 * constant time (timingSafeEqual on equal-length digests, and no early exit), so neither the response time nor the
 * order of the list tells an attacker how close a guess came.
 */
export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(plainKeys: readonly string[], hexDigests: readonly string[]) {
    const unique = new Set([...plainKeys.map(sha256Hex), ...hexDigests.map((digest) => digest.toLowerCase())]);
    this.digests = [...unique].map((digest) => Buffer.from(digest, 'hex'));
  }

  /** No key configured: the API is open. */
  get open(): boolean {
    return this.digests.length === 0;
  }

  get count(): number {
    return this.digests.length;
  }

  /** The digest (hex) of an accepted key, which identifies the caller without being the key; undefined otherwise. */
  verify(presented: string): string | undefined {
    const candidate = createHash('sha256').update(presented, 'utf8').digest();
    let matched: Buffer | undefined;
    for (const digest of this.digests) {
      if (timingSafeEqual(candidate, digest)) matched = digest;
    }
    return matched?.toString('hex');
  }
}
