// Test helpers for controller unit tests: an in-process controller (SQLite in a temp dir or in
// memory) driven with fastify inject, a fake clock, and signed receipts/cluster headers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controllerSchema, loadConfig } from '../../../src/common/config.js';
import { silentLogger } from '../../../src/common/logger.js';
import { issueReceipt } from '../../../src/common/tokens.js';
import { CLUSTER_AUTH_HEADER, CLUSTER_ROUTES, signClusterCall } from '../../../src/common/cluster-auth.js';
import { createController, type Controller } from '../../../src/controller/server.js';

export const SECRET = 'test-secret';

export interface TestController {
  c: Controller;
  clock: { ms: number };
  dir: string;
  close(): Promise<void>;
  call(method: 'GET' | 'POST', url: string, body?: unknown, token?: string): Promise<{ status: number; json: any }>;
  login(user?: string): Promise<string>;
  receipt(chunkId: string, server: string, size: number): string;
  internal(url: string, body: unknown): Promise<{ status: number; json: any }>;
}

export async function makeController(env: Record<string, string> = {}): Promise<TestController> {
  const dir = mkdtempSync(join(tmpdir(), 'redcloud-ctl-test-'));
  const config = loadConfig(controllerSchema, { CLUSTER_SECRET: SECRET, DATA_DIR: dir, BIND_ADDR: '127.0.2.1', PORT: '0', ...env });
  const clock = { ms: 1_700_000_000_000 };
  const nodeId = env.CONTROLLER_NODE_ID || 'ctl-a';
  const c = createController({ config, logger: silentLogger(), nodeId, dbPath: join(dir, `controller-${nodeId}`, 'redcloud.db'), now: () => clock.ms });
  await c.app.ready();
  const call: TestController['call'] = async (method, url, body, token) => {
    const res = await c.app.inject({
      method, url, ...(body !== undefined ? { payload: body as object } : {}),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : undefined };
  };
  return {
    c, clock, dir, call,
    async close() {
      await c.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async login(user = 'alice') {
      await call('POST', '/v1/register', { user, password: 'secret-pw' });
      const res = await call('POST', '/v1/login', { user, password: 'secret-pw' });
      return res.json.token as string;
    },
    receipt: (chunkId, server, size) => issueReceipt(c.signer, chunkId, server, size),
    async internal(url, body) {
      const role = CLUSTER_ROUTES[`POST ${url}`]?.[0] ?? 'chunkserver';
      const header = signClusterCall(c.signer, role, 'cs-test', { method: 'POST', path: url, body: JSON.stringify(body) }, clock.ms);
      const res = await c.app.inject({ method: 'POST', url, payload: body as object, headers: { [CLUSTER_AUTH_HEADER]: header } });
      return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : undefined };
    },
  };
}

export const chunkId = (n: number): string => n.toString(16).padStart(64, '0');
