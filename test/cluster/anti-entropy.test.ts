/**
 * Anti-entropy after a long partition, with real processes: two controllers (127.0.33.11-12)
 * are partitioned with iptables (rules tagged with this run's tag and removed by it). While cut
 * off, controller 1 gets 200,000 records that only anti-entropy can carry: 100,000 empty files
 * (an inode and a link each) merged straight into its database while it is stopped, outside its
 * update log (what a controller restored from a backup, or one whose peers collected their log,
 * holds). After the heal, controller 2 counts every file and finds a sample by name; the time from heal to convergence is
 * printed. Before anti-entropy was paged, each round sent every record of the differing buckets in
 * one POST (past the 8 MiB body limit: 413 on every round) and this never converged.
 */
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EntryInfo, StatfsInfo } from '../../src/common/api.js';
import { partition, type Partition } from '../../src/cluster/index.js';
import { openStore } from '../../src/controller/store.js';
import { ROOT_INO, newId } from '../../src/meta/keys.js';
import { newInode, newLink } from '../../src/meta/ops.js';
import { getJson, loginToken } from '../helpers/http.js';
import { startTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';

const NET = process.env.ANTI_ENTROPY_NET ?? '127.0.33';
const FILES = 100_000;
/** The bound stated for convergence after the heal (measured: see the printed figure). */
const CONVERGE_BOUND_MS = 600_000;
const test = suite('anti-entropy');

/** Merges `files` empty files of `owner` under its root into the database at `dbPath`, outside the update log. */
function bulkLoad(dbPath: string, nodeId: string, owner: string, files: number): number {
  const store = openStore({ path: dbPath, nodeId, now: Date.now });
  try {
    const wallMs = Date.now();
    let n = 0;
    store.transaction(() => {
      for (let i = 1; i <= files; i++) {
        const ino = newId('bulkload', 2 * i);
        const s1 = { hlc: { wallMs, logical: 2 * i, node: 'bulkload' }, node: 'bulkload', seq: 2 * i };
        const s2 = { hlc: { wallMs, logical: 2 * i + 1, node: 'bulkload' }, node: 'bulkload', seq: 2 * i + 1 };
        store.mergeRecord(newInode({ ...s1, owner, ino, kind: 'file', attr: { mode: 0o644, uid: 0, gid: 0 }, time: [Math.floor(wallMs / 1000), 0] }));
        store.mergeRecord(newLink({ ...s2, owner, id: newId('bulkload', 2 * i + 1), ino, dir: false, parent: ROOT_INO, name: `f${i}` }));
        n += 2;
      }
    });
    return n;
  } finally {
    store.close();
  }
}

test('200,000 records written on one side of a partition reach the other side after the heal', async () => {
  const tc = await startTestCluster({
    label: 'anti-entropy', net: NET, controllers: 2, chunkservers: 0, controllerEnv: { ANTI_ENTROPY_INTERVAL: '2s' },
  });
  let cut: Partition | undefined;
  try {
    const token = await tc.signUp('alice', 'correct-horse-1');
    const [c1, c2] = tc.controllerUrls as [string, string];
    const [a1, a2] = [`${NET}.11`, `${NET}.12`];
    await waitFor('alice known on controller 2', () => loginToken(c2, 'alice', 'correct-horse-1').then(() => true));
    cut = await partition(a1, a2);
    const ctl1 = tc.controllers[0]!;
    await ctl1.kill('SIGTERM');
    const loadStart = Date.now();
    const written = bulkLoad(join(tc.dir, 'ctl1', 'controller-ctl1', 'redcloud.db'), 'ctl1', 'alice', FILES);
    process.stdout.write(`  wrote ${written} records into controller 1's database in ${Date.now() - loadStart} ms\n`);
    assert.is(written, 2 * FILES);
    ctl1.start();
    await ctl1.waitHealthy();
    const files = async (url: string) => (await getJson<StatfsInfo>(`${url}/v1/fs/statfs`, token)).data.files;
    assert.ok((await files(c1)) >= FILES, 'controller 1 holds the files');
    assert.ok((await files(c2)) < FILES, 'controller 2 does not, while partitioned');

    const healedAt = Date.now();
    await cut.heal();
    await waitFor(`controller 2 holding all ${FILES} files`, async () => (await files(c2)) >= FILES, { timeoutMs: CONVERGE_BOUND_MS, pollMs: 500 });
    const tookMs = Date.now() - healedAt;
    process.stdout.write(`  anti-entropy: ${2 * FILES} records reached controller 2 ${tookMs} ms after the heal (bound ${CONVERGE_BOUND_MS} ms)\n`);
    assert.is(await files(c2), await files(c1), 'both count the same files');
    // a sample by name (a listing of 100,000 entries outlasts the test's HTTP timeout on a busy machine)
    for (const i of [1, 2, 4_242, 50_000, 99_999, FILES]) {
      const st = await getJson<EntryInfo>(`${c2}/v1/fs/stat?path=/f${i}`, token);
      assert.is(st.status, 200, `/f${i} on controller 2`);
      assert.is(st.data.kind, 'file');
    }
  } catch (err) {
    tc.dumpLogs();
    throw err;
  } finally {
    await cut?.heal().catch(() => undefined);
    await tc.stop();
  }
});

test.run();
