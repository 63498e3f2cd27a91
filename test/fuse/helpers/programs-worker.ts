/**
 * One worker of programs.test.ts's parallel-load step, run as its own process against a mount:
 *   node dist/test/fuse/helpers/programs-worker.js OWN_DIR SHARED_DIR SEED DURATION_MS
 * Until DURATION_MS has passed it creates, renames, chmods, hard-links, unlinks and reads files in
 * OWN_DIR (no other process touches it, so every op must succeed and match an in-memory model of
 * names and contents) and in SHARED_DIR (every worker uses the same 16 names there, so ENOENT and
 * EEXIST are expected answers; anything else is not). Each op's latency is recorded.
 * Every second it prints {"progress": ops done, "current": the op in flight, "sinceMs"} so the
 * parent's watchdog can tell a hung op from a slow one; at the end it lists OWN_DIR, compares it
 * with the model and prints {"done": …} with per-kind counts and max latencies, then exits 0.
 */
import { chmod, link, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom as prng } from '../../helpers/prng.js';

const [ownDir, sharedDir, seedArg, durationArg] = process.argv.slice(2);
if (!ownDir || !sharedDir || !seedArg || !durationArg) {
  process.stderr.write('usage: programs-worker OWN_DIR SHARED_DIR SEED DURATION_MS\n');
  process.exit(2);
}
const seed = Number(seedArg) >>> 0;
const durationMs = Number(durationArg);
const rnd = prng(seed);
const int = (n: number): number => Math.floor(rnd() * n);
const SHARED_NAMES = 16;
const EXPECTED_SHARED = new Set(['ENOENT', 'EEXIST']);
const MODES = [0o600, 0o640, 0o644, 0o755];

/** name in OWN_DIR → content (hard links share content; files are never rewritten) */
const model = new Map<string, string>();
const stats: Record<string, { n: number; maxMs: number; totalMs: number }> = {};
const expectedErrors: Record<string, number> = {};
const problems: string[] = [];
let ops = 0;
let nextName = 0;
let current = '';
let currentSince = performance.now();

async function timed(kind: string, what: string, fn: () => Promise<void>, shared = false): Promise<void> {
  current = `${kind} ${what}`;
  currentSince = performance.now();
  try {
    await fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    if (shared && EXPECTED_SHARED.has(code)) expectedErrors[`${kind} ${code}`] = (expectedErrors[`${kind} ${code}`] ?? 0) + 1;
    else if (problems.length < 20) problems.push(`${current}: ${(err as Error).message}`);
  } finally {
    const ms = performance.now() - currentSince;
    const s = (stats[kind] ??= { n: 0, maxMs: 0, totalMs: 0 });
    s.n++;
    s.totalMs += ms;
    s.maxMs = Math.max(s.maxMs, ms);
    ops++;
    current = '';
  }
}

function pick(): string | undefined {
  if (model.size === 0) return undefined;
  const names = [...model.keys()];
  return names[int(names.length)];
}

const fresh = (): string => `f${seed}-${nextName++}`;
const sharedName = (): string => join(sharedDir, `s${int(SHARED_NAMES)}`);

async function ownOp(): Promise<void> {
  const r = int(100);
  const name = pick();
  if (r < 30 || !name || model.size < 3) {
    const n = fresh();
    const content = `${n} ${'x'.repeat(int(3000))}\n`;
    await timed('create', n, async () => { await writeFile(join(ownDir, n), content, { flag: 'wx' }); model.set(n, content); });
  } else if (r < 45) {
    const n = fresh();
    await timed('rename', `${name} -> ${n}`, async () => {
      await rename(join(ownDir, name), join(ownDir, n));
      model.set(n, model.get(name)!);
      model.delete(name);
    });
  } else if (r < 60) {
    const mode = MODES[int(MODES.length)]!;
    await timed('chmod', `${name} ${mode.toString(8)}`, async () => {
      await chmod(join(ownDir, name), mode);
      const got = (await stat(join(ownDir, name))).mode & 0o7777;
      if (got !== mode) throw new Error(`mode ${got.toString(8)} after chmod ${mode.toString(8)}`);
    });
  } else if (r < 72) {
    const n = fresh();
    await timed('link', `${name} -> ${n}`, async () => { await link(join(ownDir, name), join(ownDir, n)); model.set(n, model.get(name)!); });
  } else if (r < 87) {
    await timed('unlink', name, async () => { await unlink(join(ownDir, name)); model.delete(name); });
  } else {
    await timed('read', name, async () => {
      const got = await readFile(join(ownDir, name), 'utf8');
      if (got !== model.get(name)) throw new Error(`content of ${name}: ${got.length} bytes, expected ${model.get(name)!.length}`);
    });
  }
}

async function sharedOp(): Promise<void> {
  const r = int(100);
  const a = sharedName();
  const b = sharedName();
  if (r < 30) await timed('create', a, () => writeFile(a, `${seed}\n`, { flag: 'wx' }), true);
  else if (r < 50) await timed('rename', `${a} -> ${b}`, () => rename(a, b), true);
  else if (r < 65) await timed('chmod', a, () => chmod(a, MODES[int(MODES.length)]!), true);
  else if (r < 80) await timed('link', `${a} -> ${b}`, () => link(a, b), true);
  else await timed('unlink', a, () => unlink(a), true);
}

const progress = setInterval(() => {
  process.stdout.write(`${JSON.stringify({ progress: ops, current, sinceMs: current ? Math.round(performance.now() - currentSince) : 0 })}\n`);
}, 1000);

const end = performance.now() + durationMs;
while (performance.now() < end) {
  if (int(100) < 70) await ownOp();
  else await sharedOp();
}
clearInterval(progress);

const listed = (await readdir(ownDir)).sort();
const expected = [...model.keys()].sort();
if (listed.join('/') !== expected.join('/')) {
  const missing = expected.filter((n) => !listed.includes(n));
  const extra = listed.filter((n) => !model.has(n));
  problems.push(`listing of ${ownDir} differs from the model: missing ${missing.slice(0, 10).join(',')} extra ${extra.slice(0, 10).join(',')}`);
}
process.stdout.write(`${JSON.stringify({ done: true, seed, ops, stats, expectedErrors, problems, names: expected.length })}\n`);
