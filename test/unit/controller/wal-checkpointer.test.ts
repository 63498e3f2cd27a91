// WAL checkpoints on their own thread (wal-checkpointer.ts): the store's commits stop folding the
// WAL back into the database file; the thread does it, and closing the store still leaves the
// whole namespace in the database file alone.
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT_INO } from '../../../src/meta/keys.js';
import { openStore } from '../../../src/controller/store.js';
import { waitFor } from '../../helpers/wait.js';
import { fsOf } from './store-suite.js';

test('the thread folds committed pages into the database file; after close the file alone holds every record', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'redcloud-ckpt-test-'));
  try {
    const path = join(dir, 'redcloud.db');
    const store = openStore({ path, nodeId: 'a', now: () => 5000 });
    const fs = fsOf(store);
    fs.root();
    const before = statSync(path).size;
    // well below the store's own checkpoint (FALLBACK_PAGES): only the thread can move these pages
    store.transaction(() => { for (let i = 0; i < 400; i++) fs.create(ROOT_INO, `f${i}`); });
    await waitFor('the database file to take the committed pages', () => statSync(path).size > before, { timeoutMs: 10_000, pollMs: 50 });
    store.transaction(() => { for (let i = 400; i < 500; i++) fs.create(ROOT_INO, `f${i}`); });
    store.close();
    assert.ok(!existsSync(`${path}-wal`), 'the store closed last: the WAL is folded in and removed');
    const copy = join(dir, 'copy.db');
    copyFileSync(path, copy);
    const again = openStore({ path: copy, nodeId: 'a', now: () => 6000 });
    assert.is(again.children('u', ROOT_INO).length, 500);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
