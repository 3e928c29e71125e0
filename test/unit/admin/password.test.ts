import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, isPasswordHash, parsePasswordHash, verifyPassword } from '../../../src/admin/password.js';

describe('hashPassword', () => {
  it('writes scrypt$16384$8$1$salt$hash with a 16-byte salt and a 32-byte key', async () => {
    const stored = await hashPassword('s3cret');
    const parts = stored.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
    const salt = Buffer.from(parts[4]!, 'base64');
    const key = Buffer.from(parts[5]!, 'base64');
    expect(salt).toHaveLength(16);
    expect(key).toHaveLength(32);
    expect(key.equals(scryptSync('s3cret', salt, 32, { N: 16384, r: 8, p: 1 }))).toBe(true);
  });

  it('uses a new salt every time', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });
});

describe('verifyPassword', () => {
  it('accepts the password a hash was made from and refuses others', async () => {
    const stored = await hashPassword('correct horse');
    expect(await verifyPassword(stored, 'correct horse')).toBe(true);
    expect(await verifyPassword(stored, 'correct hors')).toBe(false);
    expect(await verifyPassword(stored, '')).toBe(false);
  });

  it('verifies hashes with other parameters, as written by another tool', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync('pw', salt, 64, { N: 1024, r: 4, p: 2 });
    const stored = `scrypt$1024$4$2$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyPassword(stored, 'pw')).toBe(true);
    expect(await verifyPassword(stored, 'pw2')).toBe(false);
  });

  it('treats a value not starting with scrypt$ as plain text', async () => {
    expect(await verifyPassword('plain', 'plain')).toBe(true);
    expect(await verifyPassword('plain', 'plain ')).toBe(false);
    expect(await verifyPassword('plain', 'Plain')).toBe(false);
    expect(await verifyPassword('', '')).toBe(true);
    expect(await verifyPassword('SCRYPT$x', 'SCRYPT$x')).toBe(true);
  });

  it('rejects malformed hashes, even when the password equals the stored text', async () => {
    const good = await hashPassword('pw');
    const [, n, r, p, salt, hash] = good.split('$') as [string, string, string, string, string, string];
    const malformed = [
      'scrypt$',
      'scrypt$16384$8$1$salt',
      `scrypt$16384$8$1$${salt}$${hash}$extra`,
      `scrypt$16000$${r}$${p}$${salt}$${hash}`, // N not a power of two
      `scrypt$0$${r}$${p}$${salt}$${hash}`,
      `scrypt$-16384$${r}$${p}$${salt}$${hash}`,
      `scrypt$${n}$0$${p}$${salt}$${hash}`,
      `scrypt$${n}$${r}$99$${salt}$${hash}`, // p out of range
      `scrypt$1048576$64$1$${salt}$${hash}`, // 8 GiB of memory
      `scrypt$${n}$${r}$${p}$$${hash}`, // empty salt
      `scrypt$${n}$${r}$${p}$${salt}$not*base64`,
      `scrypt$${n}$${r}$${p}$${salt}$${Buffer.alloc(8).toString('base64')}`, // key too short
      `scrypt$1e4$${r}$${p}$${salt}$${hash}`,
    ];
    for (const stored of malformed) {
      expect(parsePasswordHash(stored), stored).toBeNull();
      expect(await verifyPassword(stored, 'pw'), stored).toBe(false);
      expect(await verifyPassword(stored, stored), stored).toBe(false);
    }
  });
});

describe('parsePasswordHash', () => {
  it('reads the parameters, salt and key of a well-formed hash', async () => {
    const parsed = parsePasswordHash(await hashPassword('x'));
    expect(parsed).toMatchObject({ N: 16384, r: 8, p: 1 });
    expect(parsed!.salt).toHaveLength(16);
    expect(parsed!.hash).toHaveLength(32);
  });

  it('tells hashes from plain text by the scrypt$ prefix', () => {
    expect(isPasswordHash('scrypt$16384$8$1$a$b')).toBe(true);
    expect(isPasswordHash('hunter2')).toBe(false);
    expect(parsePasswordHash('hunter2')).toBeNull();
  });
});
