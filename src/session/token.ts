/** Session tokens: 144 bits from the CSPRNG, base64url (24 characters). Public ids are separate. */
import { randomBytes } from 'node:crypto';

const TOKEN_BYTES = 18;
const TOKEN_RE = /^[A-Za-z0-9_-]{24}$/;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Cheap format check before any lookup: anything else is treated as an unknown token. */
export function isWellFormedToken(value: string): boolean {
  return value.length === 24 && TOKEN_RE.test(value);
}
