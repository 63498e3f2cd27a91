/**
 * Accounts: register stores a scrypt hash (random salt) as a replicated user record; login checks
 * it with a timing-safe compare and issues a session token valid on every controller. A wrong
 * password and an unknown user get the same 401 message (and about the same time).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { RedCloudError } from '../common/errors.js';
import { assertUserName } from '../common/paths.js';
import { issueSessionToken, type Signer } from '../common/tokens.js';
import { userKey } from '../meta/keys.js';
import { putUser } from '../meta/ops.js';
import type { UserRecord } from '../meta/types.js';
import type { MetadataStore } from './metadata-store.js';

const SCRYPT = { N: 16384, r: 8, p: 1, keyLen: 32, saltBytes: 16 };
const BAD_LOGIN = 'Wrong user name or password';

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number, keyLen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLen, { N, r, p, maxmem: 128 * N * r * 2 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url salt and hash). */
export async function hashPassword(password: string, salt: Buffer = randomBytes(SCRYPT.saltBytes)): Promise<string> {
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLen);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (!Number.isInteger(N) || N < 2 || N > 1 << 20 || !Number.isInteger(r) || !Number.isInteger(p) || expected.length === 0) return false;
  const key = await scryptAsync(password, Buffer.from(parts[4]!, 'base64url'), N, r, p, expected.length);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export interface Users {
  register(user: string, password: string): Promise<void>;
  login(user: string, password: string): Promise<{ token: string; expiresAt: number; user: string }>;
}

export function createUsers(c: { store: MetadataStore; signer: Signer; now: () => number; tokenTtlMs: number }): Users {
  let dummyHash: Promise<string> | undefined;
  const getUser = (name: string): UserRecord | undefined => {
    const r = c.store.getRecord(userKey(name));
    return r?.type === 'user' && r.passwordHash !== null ? r : undefined;
  };
  return {
    async register(user, password) {
      assertUserName(user);
      if (getUser(user)) throw new RedCloudError('EXISTS', `User ${user} already exists`);
      const hash = await hashPassword(password);
      c.store.transaction(() => {
        const current = c.store.getRecord(userKey(user));
        if (current?.type === 'user' && current.passwordHash !== null) throw new RedCloudError('EXISTS', `User ${user} already exists`);
        const stamp = c.store.nextStamp();
        const record = putUser(current?.type === 'user' ? current : undefined, { ...stamp, name: user, passwordHash: hash, createdAtMs: c.now() });
        c.store.applyLocal(record, stamp.seq);
      });
    },
    async login(user, password) {
      const record = typeof user === 'string' ? getUser(user) : undefined;
      if (!record) {
        dummyHash ??= hashPassword('redcloud-dummy-password');
        await verifyPassword(await dummyHash, password);
        throw new RedCloudError('UNAUTHORIZED', BAD_LOGIN);
      }
      if (!(await verifyPassword(record.passwordHash!, password))) throw new RedCloudError('UNAUTHORIZED', BAD_LOGIN);
      const { token, expiresAt } = issueSessionToken(c.signer, record.name, c.store.nodeId, c.now(), c.tokenTtlMs);
      return { token, expiresAt, user: record.name };
    },
  };
}
