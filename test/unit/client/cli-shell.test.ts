/**
 * Pure parts of the shell and the CLI's messages: progress text (human sizes both sides, rate,
 * ETA), the missing-argument message, retry hints, tab completion over a fake lister, history
 * rules, and `download -`'s ordered streaming over a fake client.
 */
import { PassThrough, Writable } from 'node:stream';
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { describeError } from '../../../oclif-cli/base.js';
import { createRateMeter, etaMs, formatDuration, formatRate, progressFields, progressText } from '../../../oclif-cli/lib/progress-format.js';
import { complete, escapeWord, lastWord, type Lister } from '../../../oclif-cli/lib/shell-complete.js';
import { addToHistory, holdsPassword } from '../../../oclif-cli/lib/shell-history.js';
import { downloadToStream } from '../../../oclif-cli/lib/to-stream.js';
import { missingArgMessage, withRetryHint } from '../../../oclif-cli/lib/usage.js';
import { RedCloudError } from '../../../src/common/errors.js';
import type { ReadPlan } from '../../../src/common/api.js';
import { rejectsMatching as rejects } from '../../helpers/rejects.js';

const MiB = 1024 * 1024;

test('progress text: human units on both sides, rate and ETA', () => {
  const f = progressFields(164 * MiB, 800_000_000, 41.2 * MiB);
  assert.is(f.done, '164.0 MiB');
  assert.is(f.total, '762.9 MiB');
  assert.is(f.rate, '41.2 MiB/s');
  assert.is(f.eta, '0:15'); // (762.94 - 164) / 41.2 = 14.54 s, rounded
  assert.is(progressText(f), '21% 164.0 MiB / 762.9 MiB  41.2 MiB/s  ETA 0:15');
  assert.not.match(progressText(f), /800000000/);
});

test('progress text before a rate is known, and at the end', () => {
  assert.is(progressText(progressFields(0, 10 * MiB, undefined)), '0% 0 B / 10.0 MiB  -- B/s  ETA --:--');
  assert.is(progressText(progressFields(10 * MiB, 10 * MiB, undefined)), '100% 10.0 MiB / 10.0 MiB  -- B/s  ETA 0:00');
  assert.is(progressFields(0, 0, undefined).percent, 100, 'an empty file is done');
  assert.is(progressFields(5, 3, undefined).total, '5 B', 'a total below done grows to done');
});

test('durations, rates and ETA edge cases', () => {
  assert.is(formatDuration(7_000), '0:07');
  assert.is(formatDuration(754_000), '12:34');
  assert.is(formatDuration(3_723_000), '1:02:03');
  assert.is(formatDuration(undefined), '--:--');
  assert.is(formatDuration(Number.POSITIVE_INFINITY), '--:--');
  assert.is(formatRate(undefined), '-- B/s');
  assert.is(formatRate(512), '512 B/s');
  assert.is(etaMs(0, 100, 0), undefined, 'a stalled transfer has no ETA');
  assert.is(etaMs(50, 100, 10), 5_000);
});

test('rate meter: bytes per second over the last window, undefined until time passed', () => {
  const m = createRateMeter(5_000);
  assert.is(m.rate(), undefined);
  m.add(1_000, 0);
  assert.is(m.rate(), undefined);
  m.add(1_000, 4 * MiB);
  assert.is(m.rate(), undefined, 'no time span yet');
  m.add(2_000, 8 * MiB);
  assert.is(m.rate(), 8 * MiB, '8 MiB in 1 s');
  // a burst long ago leaves the window: 10 s later, 4 MiB more in 5 s
  m.add(12_000, 8 * MiB);
  m.add(17_000, 12 * MiB);
  assert.is(m.rate(), (4 * MiB) / 5);
});

test('missing argument: named, described and pointing at --help', () => {
  assert.is(missingArgMessage('redcloud', 'upload', [{ name: 'file', description: 'Local file to upload.' }]),
    'Missing argument FILE (local file to upload). See: redcloud upload --help');
  assert.is(missingArgMessage('redcloud', 'tag:add', [{ name: 'name', description: 'Remote path.' }, { name: 'tags' }]),
    'Missing arguments NAME (remote path), TAGS. See: redcloud tag add --help');
  assert.is(missingArgMessage('redcloud', 'x', []), 'Missing a required argument. See: redcloud x --help');
  assert.is(missingArgMessage('redcloud', 'x', [{ name: 'dir', description: 'DIR to mount.' }]), 'Missing argument DIR (DIR to mount). See: redcloud x --help');
});

test('retry hints: a refusal with retryAfterMs says when, once', () => {
  assert.is(withRetryHint('Locked', 4_200), 'Locked; try again in 5 s');
  assert.is(withRetryHint('Too many failed logins: try again in 5 s', 5_000), 'Too many failed logins: try again in 5 s');
  assert.is(withRetryHint('Wrong password', undefined), 'Wrong password');
  assert.is(withRetryHint('x', -1), 'x');
  const d = describeError(new RedCloudError('THROTTLED', 'Too many logins', { retryAfterMs: 1_000 }));
  assert.equal(d, { exitCode: 7, code: 'THROTTLED', message: 'Too many logins; try again in 1 s' });
});

const tree: Record<string, { name: string; dir: boolean }[]> = {
  '/': [{ name: 'notes.txt', dir: false }, { name: 'photos', dir: true }, { name: 'my file.txt', dir: false }, { name: '.hidden', dir: false }],
  '/photos/': [{ name: '2024', dir: true }, { name: 'cat.jpg', dir: false }],
  '': [{ name: 'local.bin', dir: false }, { name: 'docs', dir: true }],
};
const lister: Lister = async (kind, dir) => {
  const key = kind === 'local' ? (dir === '' ? '' : dir) : dir;
  const entries = kind === 'local' && dir !== '' ? undefined : tree[key];
  if (!entries) throw new RedCloudError('NOT_FOUND', `no ${dir}`);
  return entries;
};
const VERBS = ['add', 'add-tags', 'download', 'login', 'ls', 'mv', 'rm', 'tag add', 'tag rm', 'tags', 'upload', 'whoami'];

test('completion: verbs, topics and help subjects', async () => {
  assert.equal(await complete('wh', VERBS, lister), [['whoami'], 'wh']);
  assert.equal(await complete('ta', VERBS, lister), [['tag', 'tags'], 'ta']);
  assert.equal(await complete('tag a', VERBS, lister), [['add'], 'a']);
  assert.equal(await complete('help up', VERBS, lister), [['upload'], 'up']);
  assert.equal(await complete('', VERBS, lister), [[...VERBS.map((v) => v.split(' ')[0]!).filter((v, i, a) => a.indexOf(v) === i), 'exit', 'help', 'quit'].sort(), '']);
  assert.equal(await complete('nosuch x', VERBS, lister), [[], 'x']);
});

test('completion: remote paths for remote arguments, local files for local ones, nothing for flags', async () => {
  assert.equal(await complete('ls no', VERBS, lister), [['notes.txt'], 'no']);
  assert.equal(await complete('ls ', VERBS, lister), [['my\\ file.txt', 'notes.txt', 'photos/'], ''], 'dot files hidden, spaces escaped, dirs with /');
  assert.equal(await complete('ls .', VERBS, lister), [['.hidden'], '.']);
  assert.equal(await complete('rm photos/c', VERBS, lister), [['photos/cat.jpg'], 'photos/c']);
  assert.equal(await complete('ls /photos/2', VERBS, lister), [['/photos/2024/'], '/photos/2']);
  assert.equal(await complete('mv my\\ f', VERBS, lister), [['my\\ file.txt'], 'my\\ f'], 'an escaped space stays in the word');
  assert.equal(await complete('tag add no', VERBS, lister), [['notes.txt'], 'no']);
  assert.equal(await complete('tag add notes.txt wo', VERBS, lister), [[], 'wo'], 'tags are not paths');
  assert.equal(await complete('upload lo', VERBS, lister), [['local.bin'], 'lo'], 'upload FILE is local');
  assert.equal(await complete('download no', VERBS, lister), [['notes.txt'], 'no']);
  assert.equal(await complete('download notes.txt d', VERBS, lister), [['docs/'], 'd'], 'download DEST is local');
  assert.equal(await complete('ls --lo', VERBS, lister), [[], '--lo']);
  assert.equal(await complete('ls nowhere/x', VERBS, lister), [[], 'nowhere/x'], 'a failing listing offers nothing');
  const slow: Lister = () => Promise.reject(new RedCloudError('TIMEOUT', 'slow'));
  assert.equal(await complete('ls n', VERBS, slow), [[], 'n']);
});

test('completion helpers: last word and escaping', () => {
  assert.equal(lastWord('tag add my\\ fi'), { raw: 'my\\ fi', value: 'my fi', before: ['tag', 'add'] });
  assert.equal(lastWord('ls '), { raw: '', value: '', before: ['ls'] });
  assert.is(escapeWord(`a b'c"d\\e`), `a\\ b\\'c\\"d\\\\e`);
});

test('history: repeats and blank lines not added, bounded, passwords never kept', () => {
  assert.equal(addToHistory(['ls'], 'ls'), ['ls']);
  assert.equal(addToHistory(['ls'], '  '), ['ls']);
  assert.equal(addToHistory(['a', 'b', 'c'], 'd', 3), ['b', 'c', 'd']);
  assert.equal(addToHistory([], 'login alice hunter2'), []);
  assert.equal(addToHistory([], 'login alice'), ['login alice'], 'without a password it is kept');
  assert.ok(holdsPassword('register bob --password x'));
  assert.ok(holdsPassword('login bob -p x'));
  assert.ok(holdsPassword('account delete bob pw'));
  assert.not.ok(holdsPassword('account delete bob'));
  assert.not.ok(holdsPassword('upload a b c'));
});

function fakePlan(sizes: number[]): { plan: ReadPlan; bytes: Buffer[] } {
  const bytes = sizes.map((n, i) => Buffer.alloc(n, 65 + i));
  let offset = 0;
  const chunks = sizes.map((n, i) => {
    const c = { id: String(i).padStart(64, '0'), size: n, offset, locations: [], cap: '' };
    offset += n;
    return c;
  });
  const plan = { entry: { path: '/f', kind: 'file', size: offset } as ReadPlan['entry'], chunks: chunks.reverse() };
  return { plan, bytes };
}

test('download to a stream: chunks fetched ahead, written in file order, progress reported', async () => {
  const { plan, bytes } = fakePlan([5, 3, 7, 1, 4]);
  let inflight = 0;
  let maxInflight = 0;
  const client = {
    readPlan: async () => plan,
    fetchChunk: async (c: ReadPlan['chunks'][number]) => {
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      await new Promise((r) => setTimeout(r, c.size)); // later chunks can finish first
      inflight--;
      return bytes[Number(c.id)]!;
    },
  };
  const out = new PassThrough();
  const got: Buffer[] = [];
  out.on('data', (d: Buffer) => got.push(d));
  const progress: number[] = [];
  const entry = await downloadToStream(client, '/f', out, { aheadChunks: 2, onProgress: (p) => progress.push(p.doneBytes) });
  assert.is(entry.path, '/f');
  assert.equal(Buffer.concat(got), Buffer.concat(bytes));
  assert.equal(progress, [5, 8, 15, 16, 20]);
  assert.ok(maxInflight <= 2, `at most 2 chunks ahead (saw ${maxInflight})`);
});

test('download to a stream: a failing chunk fails the download; a plan with a gap is refused; a directory is refused', async () => {
  const { plan, bytes } = fakePlan([2, 2, 2]);
  const failing = {
    readPlan: async () => plan,
    fetchChunk: async (c: ReadPlan['chunks'][number]) => {
      if (c.id.endsWith('2')) throw new RedCloudError('INTEGRITY', 'bad chunk');
      return bytes[Number(c.id)]!;
    },
  };
  await rejects(() => downloadToStream(failing, '/f', new PassThrough()), /bad chunk/);
  const gap = fakePlan([2, 2]);
  gap.plan.chunks[0]!.offset = 3;
  await rejects(() => downloadToStream({ readPlan: async () => gap.plan, fetchChunk: async () => Buffer.alloc(2) }, '/f', new PassThrough()), /gap or overlap/);
  const dir = { entry: { path: '/d', kind: 'dir', size: 0 } as ReadPlan['entry'], chunks: [] };
  await rejects(() => downloadToStream({ readPlan: async () => dir, fetchChunk: async () => Buffer.alloc(0) }, '/d', new PassThrough()), /Not a file/);
});

test('download to a stream: a reader that went away (EPIPE) ends it quietly and stops the fetches ahead', async () => {
  const { plan, bytes } = fakePlan([4, 4, 4, 4, 4, 4]);
  const fetched: string[] = [];
  const aborted: string[] = [];
  const client = {
    readPlan: async () => plan,
    fetchChunk: (c: ReadPlan['chunks'][number], o?: { signal?: AbortSignal }) => new Promise<Buffer>((resolve, reject) => {
      fetched.push(c.id);
      const t = setTimeout(() => resolve(bytes[Number(c.id)]!), 5);
      o?.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        aborted.push(c.id);
        reject(new RedCloudError('ABORTED', 'aborted'));
      }, { once: true });
    }),
  };
  let writes = 0;
  const pipe = new Writable({
    highWaterMark: 1,
    write(_chunk, _enc, cb) {
      writes++;
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  const entry = await downloadToStream(client, '/f', pipe, { aheadChunks: 2 });
  assert.is(entry.path, '/f');
  assert.is(writes, 1, 'nothing written after the pipe broke');
  assert.ok(fetched.length < 6, `not every chunk was fetched (${fetched.length})`);
  assert.ok(aborted.length >= 1, 'the fetch ahead was aborted');
});

test.run();
