/**
 * Accounts: register stores a scrypt hash (random salt) as a replicated user record whose creation
 * stamp is the account's identity; login checks the password with a timing-safe compare and issues
 * a session token naming the account, valid on every controller. A wrong password and an unknown
 * user get the same 401 message (and about the same time).
 *
 * Who owns a name is decided by src/meta/accounts.ts (the account created first); `authenticate`
 * refuses a token whose account lost its name (NAME_TAKEN: the loser of a concurrent registration
 * learns it on their next request), was deleted, or whose session was revoked by logout. Names and
 * passwords are compared in Unicode NFC, so two spellings of one text are one name and one password.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { RedCloudError } from '../common/errors.js';
import { assertUserName } from '../common/paths.js';
import { issueSessionToken, type SessionClaims, type Signer } from '../common/tokens.js';
import { accountId } from '../meta/accounts.js';
import { userKey } from '../meta/keys.js';
import { putUser } from '../meta/ops.js';
import type { UserRecord } from '../meta/types.js';
import type { MetadataStore } from './metadata-store.js';

const SCRYPT = { N: 16384, r: 8, p: 1, keyLen: 32, saltBytes: 16 };
const BAD_LOGIN = 'Wrong user name or password';
export const MIN_PASSWORD_CHARS = 8;
const GATE_POLL_MS = 50;

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number, keyLen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLen, { N, r, p, maxmem: 128 * N * r * 2 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url salt and hash) of the NFC form of `password`. */
export async function hashPassword(password: string, salt: Buffer = randomBytes(SCRYPT.saltBytes)): Promise<string> {
  const key = await scryptAsync(password.normalize('NFC'), salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLen);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

async function verifyExact(stored: string, password: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (!Number.isInteger(N) || N < 2 || N > 1 << 20 || !Number.isInteger(r) || !Number.isInteger(p) || expected.length === 0) return false;
  const key = await scryptAsync(password, Buffer.from(parts[4]!, 'base64url'), N, r, p, expected.length);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Checks the NFC form (how hashes are made now), then the text as given (hashes made before NFC). */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const nfc = password.normalize('NFC');
  if (await verifyExact(stored, nfc)) return true;
  return nfc !== password && verifyExact(stored, password);
}

/** A user name as the cluster knows it: NFC, then the name rules. */
export function canonicalUserName(name: unknown): string {
  return assertUserName(typeof name === 'string' ? name.normalize('NFC') : name);
}

export function assertPasswordPolicy(password: unknown): string {
  if (typeof password !== 'string' || [...password.normalize('NFC')].length < MIN_PASSWORD_CHARS) {
    throw new RedCloudError('INVALID', `Password must be at least ${MIN_PASSWORD_CHARS} characters`);
  }
  return password;
}

/** Whether this controller may register now (it knows the cluster's accounts: see register-gate.ts). */
export type RegistrationGate = () => { ok: true } | { ok: false; reason: string };

export interface Session {
  token: string;
  expiresAt: number;
  user: string;
}

export interface Users {
  register(user: string, password: string): Promise<string>;
  login(user: string, password: string): Promise<Session>;
  /** The user a verified token acts for, if its account still owns the name and the session is live. */
  authenticate(claims: SessionClaims): string;
  /** Revokes every session of the token's account issued until now (logout). */
  logout(claims: SessionClaims): void;
  /** Deletes the account after checking its password; the name stays retired. */
  deleteAccount(user: string, password: string): Promise<void>;
}

export function createUsers(c: {
  store: MetadataStore; signer: Signer; now: () => number; tokenTtlMs: number; gate?: RegistrationGate;
  /** how long register waits for the gate to open before answering UNAVAILABLE (real time) */
  gateWaitMs?: number;
}): Users {
  let dummyHash: Promise<string> | undefined;
  const recordOf = (name: string): UserRecord | undefined => {
    const r = c.store.getRecord(userKey(name));
    return r?.type === 'user' ? r : undefined;
  };

  /** The live account `user` names if `password` is its password; same 401 for every failure. */
  async function check(user: string, password: string): Promise<UserRecord> {
    let name: string | undefined;
    try {
      name = canonicalUserName(user);
    } catch {
      name = undefined;
    }
    const record = name === undefined ? undefined : recordOf(name);
    if (!record || record.passwordHash === null) {
      dummyHash ??= hashPassword('redcloud-dummy-password');
      await verifyPassword(await dummyHash, password);
      throw new RedCloudError('UNAUTHORIZED', BAD_LOGIN);
    }
    if (!(await verifyPassword(record.passwordHash, password))) throw new RedCloudError('UNAUTHORIZED', BAD_LOGIN);
    return record;
  }

  /** A new version of the account `name` (same account: accounts.ts merges it field by field). */
  const change = (name: string, fields: { passwordHash?: null; revokedBeforeMs?: number }): void => {
    c.store.transaction(() => {
      const current = recordOf(name);
      if (!current) throw new RedCloudError('NOT_FOUND', `No user ${name}`);
      const stamp = c.store.nextStamp();
      const passwordHash = fields.passwordHash === null ? null : current.passwordHash;
      c.store.applyLocal(putUser(current, { ...stamp, name, passwordHash, createdAtMs: current.createdAtMs, revokedBeforeMs: fields.revokedBeforeMs }), stamp.seq);
    });
  };

  return {
    async register(rawUser, password) {
      const user = canonicalUserName(rawUser);
      const exists = (): void => {
        const r = recordOf(user);
        if (r?.passwordHash === null) throw new RedCloudError('EXISTS', `The name ${user} belonged to a deleted account and cannot be registered again`);
        if (r) throw new RedCloudError('EXISTS', `User ${user} already exists`);
      };
      exists();
      assertPasswordPolicy(password);
      // Just started or just healed: gossip usually catches up within a few rounds, so wait a little.
      for (let waited = 0; ; waited += GATE_POLL_MS) {
        const gate = c.gate?.() ?? { ok: true };
        if (gate.ok) break;
        if (waited >= (c.gateWaitMs ?? 0)) throw new RedCloudError('UNAVAILABLE', `Cannot register now: ${gate.reason}; try again shortly`);
        await new Promise((resolve) => setTimeout(resolve, GATE_POLL_MS));
        exists();
      }
      const hash = await hashPassword(password);
      c.store.transaction(() => {
        exists();
        const stamp = c.store.nextStamp();
        c.store.applyLocal(putUser(undefined, { ...stamp, name: user, passwordHash: hash, createdAtMs: c.now() }), stamp.seq);
      });
      return user;
    },
    async login(user, password) {
      const record = await check(user, password);
      const { token, expiresAt } = issueSessionToken(c.signer, record.name, accountId(record), c.store.nodeId, c.now(), c.tokenTtlMs);
      return { token, expiresAt, user: record.name };
    },
    authenticate(claims) {
      const record = recordOf(claims.u);
      // Not known here yet (gossip lags the login by a moment): no other account holds the name here either.
      if (!record) return claims.u;
      if (accountId(record) !== claims.a) {
        throw new RedCloudError('NAME_TAKEN',
          `The name ${claims.u} was taken by an account registered earlier elsewhere in the cluster; your registration lost and its session ended: register another name`);
      }
      if (record.passwordHash === null) throw new RedCloudError('UNAUTHORIZED', `Account ${claims.u} was deleted`);
      if (record.revokedBeforeMs !== undefined && claims.iat < record.revokedBeforeMs) {
        throw new RedCloudError('UNAUTHORIZED', 'Session ended by logout: log in again');
      }
      return claims.u;
    },
    logout(claims) {
      const user = this.authenticate(claims);
      change(user, { revokedBeforeMs: c.now() + 1 });
    },
    async deleteAccount(user, password) {
      const record = await check(user, password);
      change(record.name, { passwordHash: null });
    },
  };
}
