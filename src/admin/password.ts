/**
 * Admin passwords: `admin.users[].password` holds either plain text or a scrypt hash written by
 * `sessiongate hash-password`: `scrypt$N$r$p$saltB64$hashB64` (node:crypto scrypt, N=16384, r=8, p=1, a
 * 16-byte random salt, a 32-byte key). Comparisons run in constant time.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const PREFIX = 'scrypt$';
const DEFAULTS = { N: 16_384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Upper bounds for a stored hash's parameters, so that a config cannot make one check cost gigabytes. */
const MAX_MEMORY = 256 * 1024 * 1024;
const MAX_P = 16;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface PasswordHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** Hashes a password for `admin.users[].password`: `scrypt$16384$8$1$saltB64$hashB64`. */
export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(plain, salt, KEY_BYTES, DEFAULTS);
  return [PREFIX + DEFAULTS.N, DEFAULTS.r, DEFAULTS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * Checks a password against what the config holds. A value not starting with `scrypt$` is plain text; a
 * malformed hash never matches (see `parsePasswordHash`).
 */
export async function verifyPassword(stored: string, plain: string): Promise<boolean> {
  if (!stored.startsWith(PREFIX)) return timingSafeEqual(sha256(stored), sha256(plain));
  const parsed = parsePasswordHash(stored);
  if (parsed === null) return false;
  const key = await derive(plain, parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(key, parsed.hash);
}

/** True when the value is meant as a hash (starts with `scrypt$`), well-formed or not. */
export function isPasswordHash(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/**
 * Reads `scrypt$N$r$p$salt$hash`; null when malformed: wrong number of parts, N not a power of two, r or p
 * out of range, memory beyond 256 MiB, salt or hash not base64, a hash shorter than 16 bytes.
 */
export function parsePasswordHash(stored: string): PasswordHash | null {
  if (!stored.startsWith(PREFIX)) return null;
  const parts = stored.slice(PREFIX.length).split('$');
  if (parts.length !== 5) return null;
  const [n, r, p, salt, hash] = parts as [string, string, string, string, string];
  if (![n, r, p].every((x) => /^[1-9]\d{0,8}$/.test(x))) return null;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (params.N < 2 || (params.N & (params.N - 1)) !== 0) return null;
  if (params.p > MAX_P || 128 * params.N * params.r > MAX_MEMORY) return null;
  if (!B64.test(salt) || !B64.test(hash)) return null;
  const saltBytes = Buffer.from(salt, 'base64');
  const hashBytes = Buffer.from(hash, 'base64');
  if (saltBytes.length === 0 || hashBytes.length < 16 || hashBytes.length > 256) return null;
  return { ...params, salt: saltBytes, hash: hashBytes };
}

function derive(plain: string, salt: Buffer, keylen: number, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: MAX_MEMORY + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(plain, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
