/**
 * The HTTP client every RedCloud component uses: node's http/https over keep-alive agents, with a
 * small response type (status, headers.get, json, text, body as a stream). Each call has a timeout
 * and takes the caller's AbortSignal; a fired signal becomes TIMEOUT or ABORTED, a connection
 * failure UNAVAILABLE, and an error answer `{ code, message }` the same RedCloudError the daemon
 * threw. (It was node-fetch until profiles of the mount showed that fetch's machinery cost more
 * CPU per small request than the request itself.)
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RedCloudError, errors, isErrorCode, toRedCloudError } from './errors.js';

let httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 });
let httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 });

/**
 * Makes outgoing connections leave from `addr` (a daemon's own BIND_ADDR; `listen` calls this),
 * so peers see the real source address and loopback clusters on 127.0.0.x can be partitioned by
 * source address (iptables -s). A wildcard or undefined address restores the default.
 */
let agentLocalAddress: string | undefined;
let agentCa: Buffer | undefined;

export function setLocalAddress(addr: string | undefined): void {
  agentLocalAddress = addr && addr !== '0.0.0.0' && addr !== '::' ? addr : undefined;
  rebuildAgents();
}

/** HTTPS peers are verified against `ca` (PEM, from TLS_CA); undefined restores the system CAs. */
export function setTrustedCa(ca: Buffer | undefined): void {
  agentCa = ca;
  rebuildAgents();
}

function rebuildAgents(): void {
  const localAddress = agentLocalAddress;
  httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000, localAddress });
  httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000, localAddress, ...(agentCa ? { ca: agentCa } : {}) });
}

export interface RequestOptions {
  method?: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  headers?: Record<string, string>;
  /** JSON-serialised unless a Buffer/Uint8Array or a Readable. */
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** extra headers computed from the request as sent (cluster-auth.ts clusterSigner); not with a streamed body */
  sign?: (method: string, pathWithQuery: string, body: string | Uint8Array | undefined) => Record<string, string>;
}

/** Combines the caller's signals with a timeout; reports which one fired. */
export function deadline(timeoutMs: number, ...signals: (AbortSignal | undefined)[]): { signal: AbortSignal; timeout: AbortSignal } {
  const timeout = AbortSignal.timeout(timeoutMs);
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  // One long-lived signal (an upload's, a mount's) legitimately backs many concurrent requests,
  // each adding a listener: lift Node's warning threshold of 10 for these.
  if (live.length > 0) setMaxListeners(0, ...live);
  return { signal: AbortSignal.any([timeout, ...live]), timeout };
}

/**
 * The deadline of one request: what `deadline` does, for the common case of one caller signal,
 * without AbortSignal.timeout and AbortSignal.any (~150 µs per request together in a profile of
 * the mount, more than the rest of a small request's client work): one AbortController, an
 * unref'd timer whose reason is a TimeoutError like AbortSignal.timeout's, and a listener on the
 * caller's signal. `done()` clears both once the answer is read (or the request failed).
 */
function requestDeadline(timeoutMs: number, caller: AbortSignal | undefined): { signal: AbortSignal; timedOut(): boolean; done(): void } {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, timeoutMs);
  timer.unref();
  const onAbort = (): void => ac.abort(caller!.reason);
  if (caller?.aborted) onAbort();
  else if (caller) {
    setMaxListeners(0, caller); // one long-lived signal (an upload's, a mount's) may back many concurrent requests
    caller.addEventListener('abort', onAbort, { once: true });
  }
  return {
    signal: ac.signal,
    timedOut: () => timedOut,
    done() {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    },
  };
}

/** Throws the error a fired signal stands for (TIMEOUT for timeouts, ABORTED otherwise). */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (!signal?.aborted) return;
  const reason = signal.reason as { name?: string } | undefined;
  if (reason?.name === 'TimeoutError') throw errors.timeout(`${what} timed out`);
  throw errors.aborted(`${what} was aborted`);
}

function isBinary(body: unknown): body is Uint8Array | Readable {
  return body instanceof Uint8Array || (typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function');
}

/** OpenSSL/Node codes of an HTTPS peer whose certificate this process does not accept. */
const CERTIFICATE_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** For a refused certificate, says what to do about it (TLS_CA); '' for any other failure. */
function certificateHint(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !CERTIFICATE_ERRORS.has(code)) return '';
  return ` (TLS certificate not trusted, ${code}: set TLS_CA to the CA bundle that signed the cluster's certificates${agentCa ? ', or check that certificate\'s names and dates' : ''})`;
}

/**
 * An answer: its status and headers, and its body, read once as JSON, as text or as a stream.
 * Take the body (body, text() or json()) before awaiting anything else: a body nobody took by the
 * next turn of the event loop is discarded, so its keep-alive connection goes back to the pool.
 */
export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  /** 2xx */
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** the body, as an async iterable of Buffers */
  readonly body: Readable;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

function toResponse(res: http.IncomingMessage): HttpResponse {
  const status = res.statusCode ?? 0;
  let taken = false;
  setImmediate(() => {
    if (!taken) res.resume();
  });
  const text = async (): Promise<string> => {
    taken = true;
    const parts: Buffer[] = [];
    for await (const piece of res) parts.push(piece as Buffer);
    return Buffer.concat(parts).toString('utf8');
  };
  return {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    headers: {
      get: (name) => {
        const v = res.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
    get body() {
      taken = true;
      return res;
    },
    text,
    json: async () => JSON.parse(await text()) as unknown,
  };
}

/** Sends one request and resolves with the answer's head; the signal also covers the body read. */
function send(url: string, method: string, headers: Record<string, string>, body: string | Uint8Array | Readable | undefined, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const req = (secure ? https : http).request(target, { method, headers, agent: secure ? httpsAgent : httpAgent, signal }, resolve);
    req.on('error', reject);
    if (body === undefined) req.end();
    else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
    else pipeline(body, req).catch(reject);
  });
}

/** Sends a request; resolves with the response if it is 2xx, else throws the RedCloudError it carries. */
export async function request(url: string, opts: RequestOptions): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | Uint8Array | Readable | undefined;
  if (opts.body !== undefined) {
    if (isBinary(opts.body)) {
      body = opts.body;
      headers['content-type'] ??= 'application/octet-stream';
    } else {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
  }
  if (typeof body === 'string' || body instanceof Uint8Array) headers['content-length'] = String(Buffer.byteLength(body));
  const method = opts.method ?? (body === undefined ? 'GET' : 'POST');
  if (opts.sign) {
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) throw errors.invalid('A signed request needs a body in memory');
    const target = new URL(url);
    Object.assign(headers, opts.sign(method, `${target.pathname}${target.search}`, body));
  }
  let res: HttpResponse;
  const guard = requestDeadline(opts.timeoutMs, opts.signal);
  try {
    const answer = await send(url, method, headers, body, guard.signal);
    answer.once('close', guard.done); // the deadline also covers the body, read or discarded
    res = toResponse(answer);
  } catch (err) {
    guard.done();
    if (guard.timedOut()) throw errors.timeout(`Request to ${url} timed out after ${opts.timeoutMs} ms`, { url });
    if (opts.signal?.aborted) throwIfAborted(opts.signal, `Request to ${url}`);
    const e = toRedCloudError(err);
    throw new RedCloudError(e.code === 'INTERNAL' ? 'UNAVAILABLE' : e.code, `${url}: ${e.message}${certificateHint(err)}`, { url }, { cause: err });
  }
  if (res.ok) return res;
  throw await errorFromResponse(res, url);
}

/** Reads a `{ code, message }` answer into the matching RedCloudError. */
export async function errorFromResponse(res: HttpResponse, url: string): Promise<RedCloudError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    /* body lost: the status still says enough */
  }
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown; details?: Record<string, unknown> };
    if (isErrorCode(parsed.code) && typeof parsed.message === 'string') {
      return new RedCloudError(parsed.code, parsed.message, { ...parsed.details, url, status: res.status });
    }
  } catch {
    /* not JSON: fall through */
  }
  const code = res.status === 404 ? 'NOT_FOUND' : res.status >= 500 ? 'UNAVAILABLE' : 'INVALID';
  return new RedCloudError(code, `${url} answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`, { url, status: res.status });
}

/** A JSON call: sends `body` as JSON (if any) and parses the JSON answer. */
export async function requestJson<T>(url: string, opts: RequestOptions): Promise<T> {
  const res = await request(url, { ...opts, headers: { accept: 'application/json', ...opts.headers } });
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch (err) {
    throw errors.unavailable(`${url} answered with invalid JSON`, { url }, err);
  }
}
