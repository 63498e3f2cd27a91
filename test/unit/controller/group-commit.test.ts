// Group commit (src/controller/group-commit.ts, wal-fsync.ts, the controller's onSend hook): a
// write is acknowledged only after a sync that started after it finished; concurrent writers share
// syncs; reads never wait; a failed sync fails its waiters and the next call syncs again.
import { mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GroupCommit } from '../../../src/controller/group-commit.js';
import { walFsync } from '../../../src/controller/wal-fsync.js';
import { makeController } from './helpers.js';

/** A sync the test finishes by hand. */
function manualSync() {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  return {
    pending,
    sync: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })),
    finish(err?: Error) {
      const p = pending.shift();
      if (!p) throw new Error('no sync is running');
      if (err) p.reject(err);
      else p.resolve();
    },
  };
}
const tick = () => new Promise<void>((r) => setImmediate(r));

/** A GroupCommit over a hand-finished sync, and one write made since it started (`w.writes` counts them). */
function afterOneWrite() {
  const m = manualSync();
  const w = { writes: 0 };
  const g = new GroupCommit(() => w.writes, m.sync);
  w.writes = 1;
  return { m, w, g };
}

test('no write since the last sync: resolves at once, no sync', async () => {
  const m = manualSync();
  const g = new GroupCommit(() => 5, m.sync);
  await g.durable();
  assert.is(g.syncs, 0);
});

test('writers that arrive during a sync share the next one; the running sync covers only earlier writes', async () => {
  const { m, w, g } = afterOneWrite();
  const done: string[] = [];
  const first = g.durable().then(() => done.push('first'));
  await tick();
  assert.is(m.pending.length, 1, 'one sync started');
  w.writes = 2; // written while the first sync runs: it must not count as covered
  const later = [1, 2, 3].map((i) => g.durable().then(() => done.push(`later${i}`)));
  m.finish();
  await first;
  await tick();
  assert.equal(done, ['first'], 'later writers still wait');
  assert.is(m.pending.length, 1, 'one more sync for all three');
  m.finish();
  await Promise.all(later);
  assert.is(g.syncs, 2);
  await g.durable();
  assert.is(g.syncs, 2, 'nothing new written');
});

test('a caller whose writes the running sync covers joins it', async () => {
  const { m, g } = afterOneWrite();
  const a = g.durable();
  await tick();
  const b = g.durable(); // no write since the sync started
  m.finish();
  await Promise.all([a, b]);
  assert.is(g.syncs, 1);
});

test('a failed sync rejects its waiters; the next call syncs again', async () => {
  const { m, g } = afterOneWrite();
  const a = g.durable();
  await tick();
  m.finish(new Error('EIO'));
  await a.then(() => assert.unreachable('must reject'), (err: Error) => assert.is(err.message, 'EIO'));
  const b = g.durable();
  await tick();
  m.finish();
  await b;
  assert.is(g.syncs, 2);
});

test('walFsync syncs the WAL file, and reopens it once it was deleted and made again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'redcloud-walsync-'));
  try {
    const db = join(dir, 'x.db');
    writeFileSync(`${db}-wal`, 'a');
    const w = walFsync(db);
    await w.sync();
    unlinkSync(`${db}-wal`);
    writeFileSync(`${db}-wal`, 'b');
    await w.sync(); // a stale descriptor would sync the deleted file
    unlinkSync(`${db}-wal`);
    await w.sync().then(() => assert.unreachable('no WAL file: must fail'), (err: NodeJS.ErrnoException) => assert.is(err.code, 'ENOENT'));
    w.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the controller answers a write only after store.durable() resolved; reads do not wait', async () => {
  const t = await makeController();
  try {
    const token = await t.login();
    const m = manualSync();
    const real = t.c.store.durable.bind(t.c.store);
    let calls = 0;
    t.c.store.durable = () => {
      calls += 1;
      return m.sync();
    };
    let answered = false;
    const res = t.call('POST', '/v1/fs/mkdir', { path: '/d' }, token).then((r) => {
      answered = true;
      return r;
    });
    for (let i = 0; i < 1000 && m.pending.length === 0; i++) await tick();
    assert.is(m.pending.length, 1, 'the reply waits for durable()');
    assert.is(answered, false);
    m.finish();
    assert.is((await res).status, 200);
    const before = calls;
    assert.is((await t.call('GET', '/v1/fs/stat?path=%2Fd', undefined, token)).status, 200);
    assert.is(calls, before, 'a read does not wait for a sync');
    t.c.store.durable = real;
    // the real store: the WAL exists and a write's durable() resolves
    assert.is((await t.call('POST', '/v1/fs/mkdir', { path: '/e' }, token)).status, 200);
    assert.ok(statSync(join(t.dir, 'controller-ctl-a', 'redcloud.db-wal')).size > 0);
  } finally {
    await t.close();
  }
});

test('a failed sync answers UNAVAILABLE (the client retries elsewhere)', async () => {
  const t = await makeController();
  try {
    const token = await t.login();
    t.c.store.durable = () => Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    const res = await t.call('POST', '/v1/fs/mkdir', { path: '/d' }, token);
    assert.is(res.status, 503);
    assert.is(res.json.code, 'UNAVAILABLE');
  } finally {
    await t.close();
  }
});

test.run();
