/**
 * A writer whose bytes only an fsync can have committed: a python3 program (`lines`, run with
 * `args`) that writes, fsyncs, prints "synced" and then holds its file open. Resolves once it has
 * fsynced and then SIGKILLs it, so nothing after the fsync (a close, a flush) commits anything.
 */
import { spawn } from 'node:child_process';
import * as assert from 'uvu/assert';
import { waitFor } from '../../helpers/wait.js';

export async function fsyncThenKill(lines: string[], args: string[]): Promise<void> {
  const py = [...lines, 'print("synced",flush=True)', 'sys.stdin.read()'].join('\n');
  const writer = spawn('python3', ['-c', py, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  writer.stdout.on('data', (d) => { out += d; });
  writer.stderr.on('data', (d) => { out += d; });
  try {
    await waitFor('the writer to fsync', () => out.includes('synced') || writer.exitCode !== null, { timeoutMs: 60_000 });
    assert.ok(out.includes('synced'), `writer: ${out}`);
  } finally {
    writer.kill('SIGKILL');
  }
}
