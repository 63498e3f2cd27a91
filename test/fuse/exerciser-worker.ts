/**
 * The randomized exerciser's worker, run as its own process against a mount:
 *   node dist/test/fuse/exerciser-worker.js MOUNT_DIR SEED OPS [FILES] [MAX_SIZE_BYTES]
 * Thousands of writes, truncates, fsyncs and reads at random offsets on a few files through fs/promises,
 * checked against an in-memory model; handles are closed and reopened regularly (so commits
 * happen) and files are re-read through fresh read-only opens. Prints one JSON line with counts;
 * on the first mismatch prints the seed, the op number and the op, and exits 1.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom as prng } from '../helpers/prng.js';

const [dir, seedArg, opsArg, filesArg, maxArg] = process.argv.slice(2);
if (!dir || !seedArg || !opsArg) {
  process.stderr.write('usage: exerciser-worker MOUNT_DIR SEED OPS [FILES] [MAX_SIZE_BYTES]\n');
  process.exit(2);
}
const seed = Number(seedArg) >>> 0;
const totalOps = Number(opsArg);
const nFiles = Number(filesArg ?? 4);
const maxSize = Number(maxArg ?? 3 * 1024 * 1024);

const rnd = prng(seed);
const int = (n: number): number => Math.floor(rnd() * n);

interface F { path: string; model: Buffer; fh?: FileHandle }
const files: F[] = Array.from({ length: nFiles }, (_, i) => ({ path: join(dir, `ex-${seed}-${i}.bin`), model: Buffer.alloc(0) }));
const counts = { writes: 0, truncates: 0, fsyncs: 0, reads: 0, reopens: 0, freshReads: 0, bytesWritten: 0 };
let opNo = 0;
let lastOp = '';

function fail(msg: string): never {
  process.stdout.write(`${JSON.stringify({ ok: false, seed, op: opNo, lastOp, msg, counts })}\n`);
  process.stderr.write(`exerciser: MISMATCH with EXERCISER_SEED=${seed} at op ${opNo} (${lastOp}): ${msg}\n`);
  process.exit(1);
}

/** A random piece: mostly small, sometimes across a chunk boundary, sometimes large. */
function pieceLen(): number {
  const r = rnd();
  if (r < 0.6) return 1 + int(4096);
  if (r < 0.9) return 1 + int(128 * 1024);
  return 1 + int(1024 * 1024);
}

function fillBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = int(0xffffffff);
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function handle(f: F): Promise<FileHandle> {
  f.fh ??= await open(f.path, 'r+');
  return f.fh;
}

async function readAll(fh: FileHandle, size: number): Promise<Buffer> {
  const out = Buffer.alloc(size + 16);
  let got = 0;
  for (;;) {
    const { bytesRead } = await fh.read(out, got, out.length - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
    if (got === out.length) break;
  }
  return out.subarray(0, got);
}

async function checkWhole(f: F, how: string): Promise<void> {
  const fh = await open(f.path, 'r');
  try {
    const data = await readAll(fh, f.model.length);
    if (data.length !== f.model.length) fail(`${how}: ${f.path} has ${data.length} bytes, model ${f.model.length}`);
    if (!data.equals(f.model)) fail(`${how}: ${f.path} differs at byte ${data.findIndex((b, i) => b !== f.model[i])}`);
  } finally {
    await fh.close();
  }
}

for (const f of files) await (await open(f.path, 'w')).close();

for (opNo = 1; opNo <= totalOps; opNo++) {
  const f = files[int(files.length)]!;
  const r = rnd();
  if (r < 0.45) {
    const len = pieceLen();
    const offset = int(Math.max(1, Math.min(maxSize - len, f.model.length + 64 * 1024)));
    lastOp = `write ${f.path} @${offset} +${len}`;
    const data = fillBytes(len);
    const fh = await handle(f);
    const { bytesWritten } = await fh.write(data, 0, len, offset);
    if (bytesWritten !== len) fail(`short write ${bytesWritten}`);
    if (offset + len > f.model.length) {
      const grown = Buffer.alloc(offset + len);
      f.model.copy(grown);
      f.model = grown;
    }
    data.copy(f.model, offset);
    counts.writes++;
    counts.bytesWritten += len;
  } else if (r < 0.55) {
    const size = rnd() < 0.5 ? int(f.model.length + 1) : int(maxSize);
    lastOp = `truncate ${f.path} to ${size}`;
    const fh = await handle(f);
    await fh.truncate(size);
    const next = Buffer.alloc(size);
    f.model.copy(next, 0, 0, Math.min(size, f.model.length));
    f.model = next;
    counts.truncates++;
  } else if (r < 0.6) {
    // fsync commits on an open handle: the next writes go on top of the extents it committed
    lastOp = `fsync ${f.path}`;
    await (await handle(f)).sync();
    counts.fsyncs++;
  } else if (r < 0.9) {
    const offset = int(f.model.length + 1024);
    const len = pieceLen();
    lastOp = `read ${f.path} @${offset} +${len}`;
    const fh = await handle(f);
    const out = Buffer.alloc(len);
    const { bytesRead } = await fh.read(out, 0, len, offset);
    const want = f.model.subarray(Math.min(offset, f.model.length), Math.min(offset + len, f.model.length));
    if (bytesRead !== want.length) fail(`read ${bytesRead} bytes, model has ${want.length}`);
    if (!out.subarray(0, bytesRead).equals(want)) fail('read bytes differ from the model');
    counts.reads++;
  } else if (r < 0.98) {
    lastOp = `close+reopen ${f.path}`;
    await f.fh?.close();
    f.fh = undefined;
    counts.reopens++;
  } else {
    lastOp = `close, fresh read-only check ${f.path}`;
    await f.fh?.close();
    f.fh = undefined;
    await checkWhole(f, 'fresh read');
    counts.freshReads++;
  }
}
for (const f of files) {
  await f.fh?.close();
  f.fh = undefined;
}
opNo = totalOps + 1;
for (const f of files) await checkWhole(f, 'final read');
const finals = files.map((f) => ({ name: f.path.slice(dir.length + 1), size: f.model.length, sha256: createHash('sha256').update(f.model).digest('hex') }));
process.stdout.write(`${JSON.stringify({ ok: true, seed, counts, files: finals })}\n`);
