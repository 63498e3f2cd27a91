/**
 * The fuzz suite's request generator: a seeded PRNG (mulberry32) and malformed requests built
 * from it — wrong methods, path and query tricks (`..`, NUL, `%00`, unicode, deep paths, huge
 * strings), bad JSON, wrong types, proto-poisoning, bodies on GET, garbage or foreign auth
 * headers, bad chunk ids — aimed at every route of a controller and a chunkserver; and, as a
 * compromised peer would, malformed gossip (mutated records and updates) that the test signs with a
 * valid cluster credential (`signAs`). Pure: the same seed gives the same requests.
 */
export interface FuzzRequest {
  target: 'controller' | 'chunkserver';
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** send as raw bytes on a socket instead of an HTTP request */
  raw?: Buffer;
  /** the sender signs it with a valid credential of this role (bound to method, path and body) */
  signAs?: 'controller' | 'chunkserver';
}

export interface FuzzAuth {
  /** a valid token of a throwaway user (may change that user's own entries) */
  malloryToken: string;
  /** a valid token of the user whose state must not change: used only on read-only routes */
  ownerToken: string;
  /** a cluster header signed with the wrong secret, one signed too long ago */
  wrongClusterHeader: string;
  staleClusterHeader: string;
  /** a real chunk id and a read capability for it */
  chunkId: string;
  readCap: string;
  /** a real record of the throwaway user, mutated into malformed gossip */
  sampleRecord: Record<string, unknown>;
}

/** Internal routes a compromised peer fuzzes with a valid credential, and the role it signs as. */
const SIGNED: Record<string, 'controller' | 'chunkserver'> = {
  '/internal/gossip': 'controller', '/internal/gossip/push': 'controller', '/internal/anti-entropy': 'controller',
  '/internal/anti-entropy/records': 'controller', '/internal/heartbeat': 'chunkserver', '/internal/inventory': 'controller',
};

import { seededRandom } from '../helpers/prng.js';

const pct = (b: number): string => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;


const CTL_ROUTES: [string, string][] = [
  ['GET', '/health'], ['GET', '/metrics'], ['POST', '/v1/register'], ['POST', '/v1/login'], ['GET', '/v1/whoami'], ['GET', '/v1/status'],
  ['GET', '/v1/fs/stat'], ['GET', '/v1/fs/list'], ['GET', '/v1/fs/find'], ['GET', '/v1/fs/tags'], ['GET', '/v1/fs/read'],
  ['POST', '/v1/fs/commit'], ['POST', '/v1/fs/mkdir'], ['POST', '/v1/fs/symlink'], ['POST', '/v1/fs/remove'], ['POST', '/v1/fs/rename'],
  ['POST', '/v1/fs/setattr'], ['POST', '/v1/fs/tags'], ['POST', '/v1/fs/placement'], ['POST', '/internal/heartbeat'],
  ['POST', '/internal/report-bad'], ['POST', '/internal/gossip'], ['POST', '/internal/gossip/push'], ['POST', '/internal/anti-entropy'],
  ['POST', '/internal/anti-entropy/records'],
];
const CS_ROUTES: [string, string][] = [
  ['GET', '/health'], ['GET', '/metrics'], ['GET', '/chunks/:id'], ['PUT', '/chunks/:id'], ['HEAD', '/chunks/:id'], ['DELETE', '/chunks/:id'],
  ['POST', '/internal/replicate'], ['GET', '/internal/inventory'],
];
const READ_ONLY = new Set(['/v1/whoami', '/v1/status', '/v1/fs/stat', '/v1/fs/list', '/v1/fs/find', '/v1/fs/tags', '/v1/fs/read', '/health', '/metrics']);
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS'];
const FIELDS = ['path', 'user', 'password', 'from', 'to', 'target', 'size', 'mode', 'mtimeMs', 'chunks', 'receipts', 'tags', 'add', 'remove',
  'recursive', 'parents', 'id', 'url', 'chunkId', 'serverId', 'sources', 'capacityBytes', 'freeBytes', 'inventory', 'digest', 'peers', 'updates', 'records', '__proto__', 'constructor'];

export class FuzzGen {
  private readonly rnd: () => number;

  constructor(seed: number, private readonly auth: FuzzAuth) {
    this.rnd = seededRandom(seed);
  }

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  chance(p: number): boolean {
    return this.rnd() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  atom(): string {
    const deep = Array.from({ length: 260 + this.int(50) }, (_, i) => `d${i}`).join('/');
    return this.pick([
      '', 'a', '/', '/a', '..', '../..', '/a/../b', '/./a', '//a', '/a/', '\u0000', '/a\u0000b', '%00', '/%2e%2e/x', '%2F', 'é', '/日本/語',
      '/line\nbreak', '\r\n', '/\t', 'x'.repeat(256), `/${'x'.repeat(256)}`, `/${'x'.repeat(5000)}`, '/'.repeat(300), `/${deep}`,
      '\ud800', '\u202e/evil', '😀'.repeat(70), 'null', 'true', '0', '-1', '1e999', '{}', '[]', '<script>', "'; DROP TABLE records; --",
      'f'.repeat(64), 'F'.repeat(64), 'g'.repeat(64), this.auth.chunkId, `${this.auth.chunkId}0`, 'http://127.0.7.11:8000', 'http://169.254.169.254/',
      this.randomString(this.int(40)), this.randomString(this.pick([1000, 20_000, 200_000])),
    ]);
  }

  randomString(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) {
      const r = this.rnd();
      s += r < 0.7 ? String.fromCharCode(0x20 + this.int(95)) : r < 0.85 ? String.fromCharCode(this.int(0x20)) : String.fromCodePoint(0x80 + this.int(0x2ff80));
    }
    return s;
  }

  value(depth = 0): unknown {
    const r = this.int(depth > 2 ? 6 : 9);
    switch (r) {
      case 0: return null;
      case 1: return this.chance(0.5);
      case 2: return this.pick([0, -1, 1, 1.5, 2 ** 53 + 2, -(2 ** 63), 1e308, 0o177777 + 1, 4096, 255, 256]);
      case 3: case 4: case 5: return this.atom();
      case 6: return Array.from({ length: this.int(5) }, () => this.value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = this.int(6); i > 0; i--) o[this.pick(FIELDS)] = this.value(depth + 1);
        return o;
      }
    }
  }

  template(route: string): Record<string, unknown> {
    const id = this.chance(0.5) ? this.auth.chunkId : 'ab'.repeat(32);
    switch (route) {
      case '/v1/register': case '/v1/login': return { user: this.pick(['owner', 'mallory', `m${this.int(1000)}`]), password: this.atom() || 'x' };
      case '/v1/fs/commit': return { path: this.atom(), size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: ['forged.receipt'] } };
      case '/v1/fs/symlink': return { path: this.atom(), target: this.atom() };
      case '/v1/fs/rename': return { from: this.atom(), to: this.atom() };
      case '/v1/fs/tags': return { path: this.atom(), add: [this.atom()] };
      case '/v1/fs/placement': return { chunks: [{ id, size: this.pick([0, 1, -1, 2 ** 40]) }] };
      case '/internal/heartbeat': return { id: 'csx', url: 'http://127.0.7.99:9000', capacityBytes: 1, freeBytes: 1, chunkCount: 0, full: false, inventory: [id] };
      case '/internal/report-bad': return { chunkId: id, serverId: 'cs1' };
      case '/internal/replicate': return { chunkId: id, sources: [{ id: 'cs1', url: this.pick(['http://127.0.7.21:9000', 'http://169.254.169.254', 'file:///etc/passwd']) }] };
      case '/internal/gossip': return { from: { id: 'x', url: 'http://127.0.7.98:8000' }, digest: this.chance(0.5) ? {} : { [this.pick(['ctl1', 'x', 'mallory'])]: this.pick([1, 2 ** 53 - 1, 2 ** 50 + 1, -1]) }, peers: [] };
      case '/internal/gossip/push': return { from: { id: 'x', url: 'http://127.0.7.98:8000' }, updates: Array.from({ length: 1 + this.int(3) }, () => this.update()) };
      case '/internal/anti-entropy': return { from: { id: 'x', url: 'http://127.0.7.98:8000' }, hashes: this.chance(0.5) ? [] : [this.atom()] };
      case '/internal/anti-entropy/records': return { from: { id: 'x', url: 'http://127.0.7.98:8000' }, records: Array.from({ length: 1 + this.int(3) }, () => this.mutatedRecord()) };
      default: return { path: this.atom(), mode: this.value(), recursive: this.value(), parents: this.value() };
    }
  }

  /** an update as a peer would send it: origin and seq often inconsistent with the record */
  update(): Record<string, unknown> {
    return {
      origin: this.pick(['ctl1', 'mallory', 'x', this.atom()]),
      seq: this.pick([1, 2, 2 ** 50, 2 ** 50 + 1, 2 ** 53 - 1, 0, -5, 1.5, 'x']),
      record: this.mutatedRecord(),
    };
  }

  /** the sample record with one malformation (or none: then a valid record of the throwaway user) */
  mutatedRecord(): Record<string, unknown> {
    const r = structuredClone(this.auth.sampleRecord) as Record<string, any>;
    const keys = Object.keys(r);
    switch (this.int(9)) {
      case 0: r.hlc = { ...r.hlc, wallMs: this.value() }; break;
      case 1: r.hlc = { ...r.hlc, wallMs: r.hlc.wallMs + this.pick([1e6, 86_400_000, 1e12]), node: this.pick(['mallory', 'ctl1']) }; break;
      case 2: r.vv = { ...r.vv, [this.pick(['ctl1', 'mallory', 'x', '__proto__'])]: this.pick([2 ** 53 - 1, 2 ** 50 + 1, 0, -1, 1.5, 'x', 2]) }; break;
      case 3: r[this.pick(keys)] = this.value(); break;
      case 4: if (r.content?.v) r.content.v.chunks = this.pick<unknown>(['notalist', [{ id: '../../../../etc/passwd', size: 1 }], [{ id: 'f'.repeat(64), size: -1 }], [this.value(), this.value()]]); break;
      case 5: delete r[this.pick(keys)]; break;
      case 6: r.key = this.atom(); break;
      case 7: r.type = this.pick(['user', 'dead', 'link', 'entry', 'x']); break;
      default: break;
    }
    return r;
  }

  body(route: string): { body?: Buffer; type?: string } {
    const r = this.int(100);
    const json = (v: unknown) => ({ body: Buffer.from(JSON.stringify(v) ?? 'null'), type: 'application/json' });
    if (r < 30) {
      const t = this.template(route);
      const keys = Object.keys(t);
      if (keys.length > 0) t[this.pick(keys)] = this.value();
      if (this.chance(0.3)) t[this.pick(FIELDS)] = this.value();
      return json(t);
    }
    if (r < 50) return json(this.value());
    if (r < 62) {
      return {
        body: Buffer.from(this.pick(['{', '{"path":', '{"path": "/a",}', 'nul', '\u0000', '{"a":1}{"b":2}', "{'path':'/a'}", '[[[[[[', '"unterminated',
          '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}', '{"path":"/a","path":"/b"}', '\ufeff{"path":"/a"}'])),
        type: this.pick(['application/json', 'application/json; charset=utf-8']),
      };
    }
    if (r < 66) {
      const n = this.pick([1000, 50_000, 400_000]);
      return { body: Buffer.from(`${'['.repeat(n)}${']'.repeat(n)}`), type: 'application/json' };
    }
    if (r < 70) return { body: Buffer.from(JSON.stringify({ path: 'x'.repeat(this.pick([100_000, 2_000_000])) })), type: 'application/json' };
    if (r < 71) return { body: Buffer.alloc(9 * 1024 * 1024, 0x61), type: 'application/json' };
    if (r < 78) return { body: Buffer.from(this.randomString(this.int(200))), type: this.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/xml']) };
    if (r < 82) return { body: Buffer.from('{"path":"/a"}') };
    return {};
  }

  /** percent-encodes what an HTTP request line cannot carry raw; keeps other tricks (%00, %zz) as they are */
  private urlSafe(s: string): string {
    return Array.from(Buffer.from(s, 'utf8')).map((b) => (b > 0x20 && b < 0x7f && b !== 0x23 && b !== 0x3f ? String.fromCharCode(b) : pct(b))).join('');
  }

  query(route: string): string {
    const r = this.int(10);
    const rawPercent = this.chance(0.3);
    const enc = (s: string) => Array.from(Buffer.from(s, 'utf8')).map((b) => (/[A-Za-z0-9._~/-]/.test(String.fromCharCode(b)) || (rawPercent && b === 0x25) ? String.fromCharCode(b) : pct(b))).join('');
    if (r === 0) return '';
    if (r === 1) return `?path=${enc(this.atom())}&path=${enc(this.atom())}`;
    if (r === 2) return `?${this.pick(['__proto__[x]=1', 'constructor[prototype][x]=1', 'tag[]=a', 'tag=a&tag=b&tag=', '%zz=%zz', 'path', '&&&', '=x'])}`;
    if (r === 3) return `?tag=${Array.from({ length: 70 }, () => 'a').join('&tag=')}`;
    if (r === 4) {
      // objects may carry fields such as "toString" that String() cannot use: JSON them
      const v = this.value();
      return `?${this.pick(FIELDS)}=${enc(typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))}`;
    }
    return `?${route === '/v1/fs/find' ? 'tag' : 'path'}=${enc(this.atom())}`;
  }

  chunkPath(): string {
    return this.pick([this.auth.chunkId, 'f'.repeat(64), 'F'.repeat(64), 'zz', '', '..%2F..%2Fetc%2Fpasswd', '..', '%00', `${'a'.repeat(63)}%00`,
      'a'.repeat(300), `${this.auth.chunkId}.tmp`, '%2e%2e', 'x/y', this.urlSafe(this.randomString(10)).replace(/[/?#]/g, '_')]);
  }

  authHeaders(route: string, target: 'controller' | 'chunkserver', method: string): Record<string, string> {
    const h: Record<string, string> = {};
    const r = this.int(10);
    if (r < 2) { /* none */ } else if (r < 4) h.authorization = this.pick(['Bearer', 'Bearer ', 'Bearer garbage', 'Basic YWxpY2U6cHc=', `Bearer ${'a'.repeat(5000)}`, 'bearer a.b.c', 'Bearer ..']);
    else if (r < 6 || !READ_ONLY.has(route) || (method !== 'GET' && method !== 'HEAD')) h.authorization = `Bearer ${this.auth.malloryToken}`;
    else h.authorization = `Bearer ${this.auth.ownerToken}`;
    const c = this.int(10);
    if (c === 0) h['x-redcloud-cluster'] = this.auth.wrongClusterHeader;
    else if (c === 1) h['x-redcloud-cluster'] = this.auth.staleClusterHeader;
    else if (c === 2) h['x-redcloud-cluster'] = this.pick(['garbage', '', 'a.b', 'x'.repeat(3000)]);
    if (target === 'chunkserver') {
      const k = this.int(8);
      if (k === 0) h['x-redcloud-cap'] = this.auth.readCap;
      else if (k < 4) h['x-redcloud-cap'] = this.pick(['garbage', '', 'a.b', `${this.auth.readCap}x`, this.auth.readCap.split('.').reverse().join('.')]);
    }
    if (this.chance(0.05)) h['x-junk'] = 'j'.repeat(this.pick([100, 10_000, 20_000]));
    return h;
  }

  rawGarbage(): Buffer {
    return Buffer.from(this.pick([
      'GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', 'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n',
      `GET /health HTTP/1.1\r\nHost: x\r\nX: ${'y'.repeat(20_000)}\r\n\r\n`, '\u0000\u0001\u0002\r\n\r\n', 'GET /\u0000 HTTP/1.1\r\n\r\n',
      `GET /v1/fs/stat?path=/${'a'.repeat(30_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 'PROPFIND /v1/fs/list HTTP/1.1\r\nHost: x\r\n\r\n',
    ]));
  }

  next(): FuzzRequest {
    const target = this.chance(0.7) ? 'controller' : 'chunkserver';
    if (this.chance(0.03)) return { target, method: 'RAW', path: '', headers: {}, raw: this.rawGarbage() };
    const [routeMethod, route] = this.pick(target === 'controller' ? CTL_ROUTES : CS_ROUTES);
    const method = this.chance(0.8) ? routeMethod : this.pick(METHODS);
    let path = route.includes(':id') ? route.replace(':id', this.chunkPath()) : route;
    if (this.chance(0.1)) path = this.pick([`${path}/`, `/${path}`, `${path}/..`, path.toUpperCase(), `${path}%00`, `${path}/../../etc/passwd`, `${path};x`]);
    path = this.urlSafe(path);
    if (route.startsWith('/v1/fs/') && method === 'GET') path += this.query(route);
    else if (this.chance(0.1)) path += this.query(route);
    const headers = this.authHeaders(route, target, method);
    const role = SIGNED[route];
    if (role && method === routeMethod && this.chance(0.9)) {
      // a compromised peer: well-formed JSON shaped like the route's messages, signed by the sender
      delete headers['x-redcloud-cluster'];
      if (method === 'GET') return { target, method, path, headers, signAs: role };
      const t = this.template(route);
      if (this.chance(0.2)) t[this.pick(Object.keys(t))] = this.value();
      return { target, method, path, headers: { ...headers, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(t)), signAs: role };
    }
    const withBody = method !== 'GET' && method !== 'HEAD' ? this.chance(0.9) : this.chance(0.2);
    if (withBody) {
      const { body, type } = this.body(route);
      if (type) headers['content-type'] = type;
      return { target, method, path, headers, body };
    }
    return { target, method, path, headers };
  }
}
