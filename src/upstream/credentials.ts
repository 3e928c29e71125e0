/** A client's own credentials, taken from its request when a service passes them through (credentials `client`). */
import { createHash } from 'node:crypto';

export interface ClientCredentials {
  /** From `Authorization: Basic`. */
  user: string | null;
  password: string | null;
  /** From `Authorization: Bearer`. */
  token: string | null;
}

export const NO_CREDENTIALS: ClientCredentials = Object.freeze({ user: null, password: null, token: null });

export function credentialsFrom(authorization: string | undefined): ClientCredentials {
  if (!authorization) return NO_CREDENTIALS;
  const m = /^(\w+)\s+(.+)$/.exec(authorization.trim());
  if (!m) return NO_CREDENTIALS;
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'bearer') return { user: null, password: null, token: m[2]! };
  if (scheme !== 'basic') return NO_CREDENTIALS;
  const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return NO_CREDENTIALS;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1), token: null };
}

/** Who these credentials are, for keeping users' upstream contexts apart (never the secret itself). */
export function identityOf(c: ClientCredentials): string | null {
  if (c.user !== null) return `user:${c.user}`;
  // A digest, never the token itself: keys show up in admin views.
  if (c.token !== null) return `token:${createHash('sha256').update(c.token).digest('base64url').slice(0, 22)}`;
  return null;
}
