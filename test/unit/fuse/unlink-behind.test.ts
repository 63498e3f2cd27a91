// Unlinks answered before they are sent (fuse/unlink-behind.ts): only in a burst, sent in batches,
// every other call ordered after them, refused paths handed back, older controllers one by one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REMOVE_MANY_MAX, type RemoveOutcome } from '../../../src/common/api.js';
import { errors, type RedCloudError } from '../../../src/common/errors.js';
import { silentLogger } from '../../../src/common/logger.js';
import { BURST_WINDOW_MS, MAX_QUEUED, UnlinkBehind, takesUnlink } from '../../../fuse/unlink-behind.js';

function rig(o: { sendMany?: (paths: string[]) => Promise<RemoveOutcome[]> } = {}) {
  let now = 1_000;
  const sent: string[][] = [];
  const one: string[] = [];
  const failed: [string, string][] = [];
  let release: (() => void) | undefined;
  const gate = { held: false };
  const behind = new UnlinkBehind({
    async sendMany(paths) {
      sent.push(paths);
      if (gate.held) await new Promise<void>((r) => { release = r; });
      return o.sendMany ? o.sendMany(paths) : paths.map(() => ({ ok: true as const }));
    },
    async sendOne(path) {
      one.push(path);
      if (path.endsWith('/gone')) throw errors.notFound('gone');
    },
    failed: (path, err: RedCloudError) => failed.push([path, err.code]),
    logger: silentLogger(),
    nowMs: () => now,
  });
  return { behind, sent, one, failed, gate, release: () => release?.(), tick: (ms: number) => { now += ms; } };
}

test('takesUnlink: within the burst window, below the queue bound, while the route exists', () => {
  assert.is(takesUnlink({ sinceLastMs: Number.POSITIVE_INFINITY, queued: 0, routeKnownMissing: false }), false);
  assert.is(takesUnlink({ sinceLastMs: BURST_WINDOW_MS, queued: 0, routeKnownMissing: false }), true);
  assert.is(takesUnlink({ sinceLastMs: BURST_WINDOW_MS + 1, queued: 0, routeKnownMissing: false }), false);
  assert.is(takesUnlink({ sinceLastMs: 1, queued: MAX_QUEUED, routeKnownMissing: false }), false);
  assert.is(takesUnlink({ sinceLastMs: 1, queued: 0, routeKnownMissing: true }), false);
});

test('a lone unlink is not taken; the ones after it in a burst are, sent in batches of at most REMOVE_MANY_MAX', async () => {
  const r = rig();
  assert.is(r.behind.offer('/first'), false, 'a lone unlink is sent and awaited by the caller');
  r.tick(5);
  const n = REMOVE_MANY_MAX + 10;
  for (let i = 0; i < n; i++) assert.ok(r.behind.offer(`/f${i}`));
  assert.ok(r.behind.pending);
  await r.behind.drain();
  assert.is(r.behind.pending, false);
  assert.equal(r.sent.flat(), Array.from({ length: n }, (_, i) => `/f${i}`));
  assert.ok(r.sent.every((b) => b.length <= REMOVE_MANY_MAX));
  r.tick(BURST_WINDOW_MS + 1);
  assert.is(r.behind.offer('/later'), false, 'the burst is over');
});

test('ordered: a call made while unlinks are queued runs after they reached the controller', async () => {
  const r = rig();
  r.behind.offer('/a');
  r.tick(1);
  r.gate.held = true;
  r.behind.offer('/b');
  const order: string[] = [];
  const client = r.behind.ordered({ async stat(p: string) { order.push(`stat ${p}`); return p; } });
  const stat = client.stat('/b');
  await new Promise((res) => setTimeout(res, 20));
  assert.equal(order, [], 'the stat waits for the queued unlink');
  r.release();
  assert.is(await stat, '/b');
  assert.equal(order, ['stat /b']);
  assert.equal(r.sent, [['/b']]);
  const direct = client.stat('/c'); // nothing queued: called at once
  assert.equal(order, ['stat /b', 'stat /c']);
  await direct;
});

test('a refused path is handed back (the file shows again); NOT_FOUND is already done', async () => {
  const r = rig({ sendMany: async (paths) => paths.map((p): RemoveOutcome => (p === '/dir' ? { ok: false, code: 'IS_DIR', message: 'Is a directory' }
    : p === '/gone' ? { ok: false, code: 'NOT_FOUND', message: 'No such file' } : { ok: true })) });
  r.behind.offer('/x');
  r.tick(1);
  for (const p of ['/a', '/dir', '/gone']) r.behind.offer(p);
  await r.behind.drain();
  assert.equal(r.failed, [['/dir', 'IS_DIR']]);
});

test('a controller without remove-many: the batch goes one by one, and later unlinks are not taken', async () => {
  const r = rig({ sendMany: async () => { throw errors.notFound('Route POST:/v1/fs/remove-many not found'); } });
  r.behind.offer('/x');
  r.tick(1);
  for (const p of ['/a', '/b/gone', '/c']) r.behind.offer(p);
  await r.behind.drain();
  assert.equal(r.one, ['/a', '/b/gone', '/c']);
  assert.equal(r.failed, []);
  r.tick(1);
  assert.is(r.behind.offer('/d'), false);
});

test('a batch the controller refuses as a whole: every path of it is handed back', async () => {
  const r = rig({ sendMany: async () => { throw errors.invalid('bad request'); } });
  r.behind.offer('/x');
  r.tick(1);
  r.behind.offer('/a');
  r.behind.offer('/b');
  await r.behind.drain();
  assert.equal(r.failed, [['/a', 'INVALID'], ['/b', 'INVALID']]);
});

test.run();
