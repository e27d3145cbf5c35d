import shajs from 'sha.js'

/**
 * `node:crypto` in the browser build, for the pure core modules it shares
 * with Node (push objects, keys, ref lists, torrent info): synchronous
 * hashes through sha.js (WebCrypto's digest is asynchronous), and nothing
 * else. A signature is verified with WebCrypto (browser/check-signed.ts),
 * asynchronously, before the core's checks run; the core's synchronous
 * verify is never reached there, and says so if it is.
 */
export function createHash (algorithm: string): { update: (data: Uint8Array | string) => { digest: (enc: 'hex') => string }, digest: (enc?: 'hex') => string } {
  return shajs(algorithm)
}

export function randomBytes (n: number): Uint8Array {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(n)))
}

function unavailable (): never {
  throw new Error('synchronous ed25519 is not available in a browser: verify with WebCrypto (browser/check-signed.ts)')
}
export const createPublicKey = unavailable
export const verify = unavailable
