import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBudget, StagingStore } from '../../../fuse/staging-store.js';
import { makeTempDir, removeDir } from '../../helpers/tmp.js';
import { pattern } from './helpers.js';

async function readAll(store: StagingStore, size: number): Promise<Buffer> {
  const out = Buffer.alloc(size + 10, 0xff);
  const n = await store.read(out, 0, out.length, 0);
  return out.subarray(0, n);
}

async function withStore(spillBytes: number, budgetBytes: number, fn: (store: StagingStore, path: string, budget: MemoryBudget) => Promise<void>): Promise<void> {
  const dir = makeTempDir('staging-store');
  const path = join(dir, 'staging', 'f.stage');
  const budget = new MemoryBudget(budgetBytes);
  const store = new StagingStore(path, spillBytes, budget);
  try {
    await fn(store, path, budget);
  } finally {
    await store.close();
    removeDir(dir);
  }
}

test('a small file stays in memory: holes and the end read as zeros, a cut and regrown range too', () => withStore(1000, 10_000, async (store, path) => {
  await store.write(Buffer.from('abc'), 10);
  assert.equal([...(await readAll(store, 13))], [...Buffer.alloc(10), ...Buffer.from('abc')]);
  await store.truncate(11);
  await store.truncate(20);
  assert.equal([...(await readAll(store, 20))], [...Buffer.alloc(10), 97, ...Buffer.alloc(9)]);
  assert.is(store.onDisk, false);
  assert.is(existsSync(path), false, 'no local file for a small file');
}));

test('growing past spillBytes moves the bytes to a sparse local file, which close deletes', async () => {
  let where = '';
  await withStore(1000, 10_000, async (store, path, budget) => {
    where = path;
    const head = pattern(900, 1);
    await store.write(head, 0);
    assert.ok(budget.usedBytes > 0);
    const tail = pattern(500, 2);
    await store.write(tail, 1200);
    assert.is(store.onDisk, true);
    assert.is(budget.usedBytes, 0, 'memory given back on spill');
    assert.ok(existsSync(path));
    assert.equal(await readAll(store, 1700), Buffer.concat([head, Buffer.alloc(300), tail]));
    await store.truncate(950);
    assert.equal(await readAll(store, 950), Buffer.concat([head, Buffer.alloc(50)]));
  });
  assert.is(existsSync(where), false, 'closed and deleted');
});

test('an exhausted memory budget sends even a small file to disk; truncate to a large size spills first', async () => {
  await withStore(1000, 100, async (store) => {
    await store.write(Buffer.from('x'.repeat(200)), 0);
    assert.is(store.onDisk, true, 'the budget could not hold 200 bytes');
    assert.equal((await readAll(store, 200)).toString(), 'x'.repeat(200));
  });
  await withStore(1000, 10_000, async (store) => {
    await store.truncate(5000);
    assert.is(store.onDisk, true);
    assert.equal(await readAll(store, 5000), Buffer.alloc(5000));
  });
});

test('close gives the memory back to the budget', async () => {
  const budget = new MemoryBudget(10_000);
  const dir = makeTempDir('staging-store');
  try {
    const store = new StagingStore(join(dir, 'f.stage'), 1000, budget);
    await store.write(pattern(700, 3), 0);
    assert.ok(budget.usedBytes >= 700);
    await store.close();
    assert.is(budget.usedBytes, 0);
  } finally {
    removeDir(dir);
  }
});

test.run();
