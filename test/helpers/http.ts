/**
 * Direct HTTP calls to the daemons for tests that go around the CLI (forged capabilities,
 * mismatching chunk bytes): every call has a timeout and returns status and body, never throws on 4xx.
 */
export interface HttpAnswer {
  status: number;
  body: Buffer;
  json<T = unknown>(): T;
  headers: Headers;
}

export async function http(url: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer | string; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: init.headers,
    body: init.body,
    signal: AbortSignal.timeout(init.timeoutMs ?? 15_000),
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body, headers: res.headers, json: <T>() => JSON.parse(body.toString('utf8')) as T };
}

export async function loginToken(controllerUrl: string, user: string, password: string): Promise<string> {
  const r = await http(`${controllerUrl}/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  if (r.status !== 200) throw new Error(`login answered ${r.status}: ${r.body.toString('utf8').slice(0, 200)}`);
  return r.json<{ token: string }>().token;
}

export async function postJson<T>(url: string, token: string, body: unknown): Promise<{ status: number; data: T }> {
  const r = await http(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: r.status, data: r.json<T>() };
}

export async function getJson<T>(url: string, token: string): Promise<{ status: number; data: T }> {
  const r = await http(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, data: r.json<T>() };
}
