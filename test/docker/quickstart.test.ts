/**
 * The Docker Swarm quick start, word for word (README "Docker quick start"): a swarm, the
 * attachable overlay network dfs-network, the images (docker/scripts/build-images.sh, on a local
 * node:20-slim stand-in from docker/scripts/build-base-image.sh when none can be pulled), three
 * controllers and five chunkservers started exactly as written, the CLI container driven through
 * its `> ` prompt, the log checks, the four distributed tests (bytes compared by hash), the
 * configuration examples and the monitoring greps. Cleans up every container, volume and network
 * it made, the swarm if it made it, and dockerd if it started it. Without a usable engine it says
 * why in one line and counts as skipped.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../../src/cluster/paths.js';
import { waitFor } from '../helpers/wait.js';
import { docker, dockerQuiet, ensureEngine, run, stopEngine } from './engine.js';
import { drivePrompt, type PromptSession } from './prompt.js';
import { newChunkId } from '../helpers/chunk-ids.js';
import { fitsInline, INLINE_MAX_DEFAULT } from '../../src/meta/inline.js';

// The quick start's commands, as the README has them.
export const QS = {
  swarm: 'docker swarm init',
  network: 'docker network create --driver overlay --attachable dfs-network',
  build: 'docker/scripts/build-images.sh',
  controller: (i: number) => `docker run -d --name controller-${i} --network dfs-network --network-alias controller redcloud-controller:latest`,
  chunkserver: (i: number) => `docker run -d --name chunkserver-${i} --network dfs-network redcloud-chunkserver:latest`,
  cli: 'docker run -it --rm --network dfs-network -v "$(pwd):/uploads" -v "$(pwd)/downloads:/downloads" -w /uploads redcloud-cli:latest',
  configured: 'docker run -d --name controller-4 --network dfs-network --network-alias controller -e CONTROLLER_NODE_ID=controller-4 -e HEARTBEAT_TIMEOUT=60 -e REPAIR_INTERVAL=120 -v controller-data:/app/data redcloud-controller:latest',
  sqlite: 'docker exec controller-1 sqlite3 /app/data/controller-*/redcloud.db "SELECT COUNT(*) FROM chunk_locations"',
};
const USER = 'alice';
const PASSWORD = 'quickstart-pw';
const CONTROLLERS = [1, 2, 3].map((i) => `controller-${i}`);
const CHUNKSERVERS = [1, 2, 3, 4, 5].map((i) => `chunkserver-${i}`);
const CHUNK = 4 * 1024 * 1024;

const root = repoRoot();
const test = suite('docker quick start');
const engine = await ensureEngine();
const made = { containers: new Set<string>(), networks: [] as string[], volumes: [] as string[], swarm: false, hadGwbridge: false };
const work = mkdtempSync(join(tmpdir(), 'redcloud-docker-'));
const timings: Record<string, string> = {};
const files = new Map<string, Buffer>();

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Files the quick start's controllers keep inline (default INLINE_MAX) live in their inode record: they have no chunks. */
const chunkIds = (b: Buffer) => (fitsInline(b.length, INLINE_MAX_DEFAULT, CHUNK) ? []
  : Array.from({ length: Math.max(1, Math.ceil(b.length / CHUNK)) }, (_, i) => newChunkId(b.subarray(i * CHUNK, (i + 1) * CHUNK))));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A quick-start command line, run by bash in the work directory (so "$(pwd)" is it). */
async function sh(command: string, timeoutMs = 120_000): Promise<string> {
  const r = await run('bash', ['-c', command], { cwd: work, timeoutMs });
  if (r.code !== 0) throw new Error(`${command} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

/** `docker run -d …`: remembers the container id for the cleanup. */
async function startDetached(command: string): Promise<string> {
  const id = (await sh(command)).trim();
  made.containers.add(id);
  return id;
}

const logsOf = async (name: string, since?: string) => {
  const r = await run('docker', ['logs', ...(since ? ['--since', since] : []), name], { timeoutMs: 30_000 });
  return r.stdout + r.stderr;
};
const grep = async (name: string, re: RegExp, since?: string) => (await logsOf(name, since)).split('\n').filter((l) => re.test(l));
const waitLog = (name: string, re: RegExp, timeoutMs = 60_000, since?: string) =>
  waitFor(`${re} in docker logs ${name}`, async () => { const hit = await grep(name, re, since); return hit.length > 0 ? hit : undefined; }, { timeoutMs, pollMs: 1000 });

/** The chunk files a chunkserver holds (`docker exec … /app/data/chunks`). */
async function chunksOn(name: string): Promise<Set<string>> {
  const out = await docker(['exec', name, 'find', '/app/data/chunks', '-type', 'f', '-printf', '%f\\n']);
  return new Set(out.split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l)));
}
const holdsAll = async (name: string, ids: string[]) => { const have = await chunksOn(name); return ids.every((id) => have.has(id)); };

/** The CLI container, started as the quick start writes it, driven through its prompt. */
async function cli(lines: string[]): Promise<PromptSession> {
  return drivePrompt(QS.cli, [`login ${USER} ${PASSWORD}`, ...lines], { cwd: work });
}
const answerOk = (s: PromptSession, i: number, re: RegExp) =>
  assert.match(s.answers[i]!, re, `answer to ${JSON.stringify(s.answers[i]?.split('\n')[0])}:\n${s.answers[i]}`);

function addFile(name: string, bytes: Buffer): Buffer {
  writeFileSync(join(work, name), bytes);
  files.set(name, bytes);
  return bytes;
}

async function removeStale(): Promise<void> {
  // the quick start's fixed names: leftovers of an earlier run of this test
  for (const name of [...CONTROLLERS, 'controller-4', ...CHUNKSERVERS]) {
    if ((await dockerQuiet(['container', 'inspect', name])).code !== 0) continue;
    await docker(['rm', '-f', '-v', name]);
    console.log(`docker quickstart: removed a leftover container ${name}`);
  }
  if ((await dockerQuiet(['network', 'inspect', 'dfs-network'])).code === 0) {
    await docker(['network', 'rm', 'dfs-network']);
    console.log('docker quickstart: removed a leftover network dfs-network');
  }
  if ((await dockerQuiet(['volume', 'inspect', 'controller-data'])).code === 0) {
    await docker(['volume', 'rm', 'controller-data']);
    console.log('docker quickstart: removed a leftover volume controller-data');
  }
}

async function cleanup(): Promise<void> {
  for (const id of made.containers) await dockerQuiet(['rm', '-f', '-v', id]);
  for (const id of made.networks) await dockerQuiet(['network', 'rm', id]);
  for (const v of made.volumes) await dockerQuiet(['volume', 'rm', v]);
  if (made.swarm) {
    await dockerQuiet(['swarm', 'leave', '--force']);
    // the bridge `docker swarm init` made for overlay networks
    if (!made.hadGwbridge) await dockerQuiet(['network', 'rm', 'docker_gwbridge']);
  }
  await stopEngine(engine);
  rmSync(work, { recursive: true, force: true });
}

if (!engine.ok) {
  console.log(`docker quickstart: skipped, ${engine.reason}`);
  rmSync(work, { recursive: true, force: true });
  test.skip('the Docker Swarm quick start, word for word', () => {});
} else {
  test.after(cleanup);

  test('images: the node:20-slim stand-in (when none is local) and build-images.sh', async () => {
    const t0 = Date.now();
    if ((await dockerQuiet(['image', 'inspect', 'node:20-slim'])).code !== 0) {
      const r = await run('bash', ['docker/scripts/build-base-image.sh'], { cwd: root, timeoutMs: 1_200_000 });
      assert.is(r.code, 0, `build-base-image.sh: ${(r.stdout + r.stderr).slice(-3000)}`);
      timings.baseImage = secs(Date.now() - t0);
    } else timings.baseImage = 'cached';
    const t1 = Date.now();
    const r = await run('bash', [QS.build], { cwd: root, timeoutMs: 1_800_000 });
    assert.is(r.code, 0, `build-images.sh: ${(r.stdout + r.stderr).slice(-3000)}`);
    timings.imageBuilds = secs(Date.now() - t1);
    const sizes = [];
    for (const image of ['node:20-slim', 'redcloud-controller:latest', 'redcloud-chunkserver:latest', 'redcloud-cli:latest']) {
      sizes.push(`${image} ${(Number(await docker(['image', 'inspect', image, '--format', '{{.Size}}'])) / 1e6).toFixed(0)} MB`);
    }
    console.log(`docker quickstart: base image ${timings.baseImage}, image builds ${timings.imageBuilds}; sizes: ${sizes.join(', ')}`);
  });

  test('swarm, dfs-network, 3 controllers and 5 chunkservers as written; their logs and chunk directories', async () => {
    timings.sequenceStart = String(Date.now());
    await removeStale();
    const state = (await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim();
    if (state !== 'active') {
      made.hadGwbridge = (await dockerQuiet(['network', 'inspect', 'docker_gwbridge'])).code === 0;
      await sh(QS.swarm);
      made.swarm = true;
    }
    made.networks.push((await sh(QS.network)).trim());
    for (const i of [1, 2, 3]) await startDetached(QS.controller(i));
    for (const i of [1, 2, 3, 4, 5]) await startDetached(QS.chunkserver(i));

    for (const c of CONTROLLERS) {
      await waitLog(c, /distributed controller/);
      await waitLog(c, /Gossip/);
      await waitLog(c, /Discovered/);
    }
    await waitLog('controller-1', /"source":"dns".*Discovered \d+ peers|Discovered \d+ peers.*"source":"dns"/);
    // every controller registers all five chunkservers (a wrong advertised address fails here)
    const registered = async (c: string) => new Set((await grep(c, /Registered healthy chunkserver/)).map((l) => /chunkserver (\S+?)"/.exec(l)?.[1]));
    for (const c of CONTROLLERS) {
      await waitFor(`${c} registers 5 chunkservers`, async () => (await registered(c)).size >= 5, { timeoutMs: 90_000, pollMs: 1000 }).catch(async (err: Error) => {
        // what a person would look at next: who did register, and what the chunkservers say about heartbeats
        const tails = await Promise.all(CHUNKSERVERS.map(async (cs) => `${cs}: ${(await grep(cs, /eartbeat|controller|rror/)).slice(-4).join('\n  ')}`));
        throw new Error(`${err.message}; registered: ${[...(await registered(c))].join(', ')}\n${tails.join('\n')}`);
      });
    }
    await waitLog('chunkserver-1', /Heartbeat/);
    // chunkserver-1 reaches every controller at the address it advertises (not 127.0.0.1)
    await waitFor('chunkserver-1 sends heartbeats to 3 controllers', async () =>
      new Set((await grep('chunkserver-1', /Heartbeat sent/)).map((l) => /"controller":"([^"]+)"/.exec(l)?.[1])).size >= 3, { timeoutMs: 60_000, pollMs: 1000 });
    assert.equal(await grep('chunkserver-1', /127\.0\.0\.1/), [], 'no controller advertises 127.0.0.1');
    const ls = await sh('docker exec chunkserver-1 ls -la /app/data/chunks');
    assert.match(ls, /^total \d+/m);
  });

  test('the CLI prompt: login, ls, upload test.txt tag1, download test.txt (into /downloads); one-shot commands', async () => {
    const text = addFile('test.txt', Buffer.from(`RedCloud quick start ${new Date().toISOString()}\n`));
    // the quick start logs in to an account; it is registered at the same prompt first
    const reg = await drivePrompt(QS.cli, [`register ${USER} ${PASSWORD}`], { cwd: work });
    assert.match(reg.answers[0]!, /Registered|alice/);
    assert.match(reg.screen, /^> /, 'the prompt shows "> "');
    const s = await cli(['ls', 'upload test.txt tag1', 'download test.txt']);
    answerOk(s, 0, new RegExp(`Logged in as ${USER}`));
    answerOk(s, 2, /Uploaded test\.txt to \/test\.txt/);
    answerOk(s, 3, /Downloaded \/test\.txt to \/downloads\/test\.txt/);
    assert.is(s.exitCode, 0);
    const got = readFileSync(join(work, 'downloads', 'test.txt'));
    assert.is(sha(got), sha(text), 'downloads/test.txt has the uploaded bytes');
    // one-shot: `docker run … redcloud-cli <command>` still runs the command and exits
    const version = await sh('docker run --rm --network dfs-network redcloud-cli:latest --version');
    assert.match(version, /redcloud\/\d/);
    const again = await cli(['ls', 'find tag1', 'status']);
    answerOk(again, 1, /test\.txt/);
    answerOk(again, 2, /test\.txt/);
    answerOk(again, 3, /3\/3 controllers alive, 5\/5 chunkservers healthy/);
    // test.txt is small: its bytes live in its inode record (INLINE_MAX), so no chunkserver holds it; placement is checked with big.bin
  });

  test('controller failover: docker stop controller-1, the CLI still works; docker start controller-1 and it syncs', async () => {
    const during = addFile('while-c1-down.txt', randomBytes(100_000));
    await sh('docker stop controller-1');
    const s = await cli(['ls', 'upload while-c1-down.txt', 'download test.txt']);
    answerOk(s, 1, /test\.txt/);
    answerOk(s, 2, /Uploaded while-c1-down\.txt/);
    answerOk(s, 3, /Downloaded \/test\.txt/);
    await sh('docker start controller-1');
    await waitFor('controller-1 lists while-c1-down.txt', async () => {
      const r = await cli(['ls --controllers http://controller-1:8000']);
      return /while-c1-down\.txt/.test(r.answers[1]!);
    }, { timeoutMs: 90_000, pollMs: 2000 });
    const r = await cli(['download while-c1-down.txt --controllers http://controller-1:8000']);
    answerOk(r, 1, /Downloaded/);
    assert.is(sha(readFileSync(join(work, 'downloads', 'while-c1-down.txt'))), sha(during));
  });

  test('chunkserver failover: 3 of 5 stopped, the download still verifies; started again, repair re-replicates', async () => {
    const big = addFile('big.bin', randomBytes(10 * 1024 * 1024));
    const up = await cli(['upload big.bin']);
    answerOk(up, 1, /Uploaded big\.bin/);
    for (const c of CHUNKSERVERS) await waitFor(`big.bin on ${c}`, () => holdsAll(c, chunkIds(big)), { timeoutMs: 60_000, pollMs: 1000 });
    await sh('docker stop chunkserver-1 chunkserver-2 chunkserver-3');
    const t0 = Date.now();
    const s = await cli(['download big.bin']);
    timings.downloadWith3Stopped = secs(Date.now() - t0);
    answerOk(s, 1, /Downloaded \/big\.bin/);
    assert.is(sha(readFileSync(join(work, 'downloads', 'big.bin'))), sha(big), 'big.bin verifies with 3 chunkservers down');
    const during = addFile('while-cs-down.bin', randomBytes(6 * 1024 * 1024));
    const w = await cli(['upload while-cs-down.bin']);
    answerOk(w, 1, /Uploaded while-cs-down\.bin/);
    await waitLog('controller-1', /Chunkserver.*failed/, 90_000);
    await sh('docker start chunkserver-1 chunkserver-2 chunkserver-3');
    for (const c of ['chunkserver-1', 'chunkserver-2', 'chunkserver-3']) {
      await waitFor(`repair copies while-cs-down.bin to ${c}`, () => holdsAll(c, chunkIds(during)), { timeoutMs: 180_000, pollMs: 2000 });
    }
    await waitLog('chunkserver-1', /Successfully replicated/);
  });

  test('partition: docker network disconnect controller-3, upload elsewhere, reconnect; Anti-entropy, controller-3 catches up', async () => {
    const part = addFile('during-partition.txt', randomBytes(50_000));
    await sh('docker network disconnect dfs-network controller-3');
    const since = new Date().toISOString();
    const s = await cli(['upload during-partition.txt', 'tag add test.txt majority-side']);
    answerOk(s, 1, /Uploaded during-partition\.txt/);
    answerOk(s, 2, /majority-side/);
    // a concurrent write on the cut-off side (a CLI in controller-3's network namespace, over loopback):
    // the same file tagged differently, so the heal has a conflict to resolve
    const local = ' --controllers http://127.0.0.1:8000';
    const cut = await drivePrompt('docker run -it --rm --network container:controller-3 redcloud-cli:latest',
      [`login ${USER} ${PASSWORD}${local}`, `tag add test.txt cut-off-side${local}`], { cwd: work });
    answerOk(cut, 0, new RegExp(`Logged in as ${USER}`));
    answerOk(cut, 1, /cut-off-side/);
    await sh('docker network connect dfs-network controller-3');
    await waitLog('controller-3', /Anti-entropy/, 90_000, since);
    await waitFor('a controller logs Resolved conflict', async () => {
      for (const c of CONTROLLERS) if ((await grep(c, /Resolved conflict/, since)).length > 0) return true;
      return undefined;
    }, { timeoutMs: 90_000, pollMs: 2000 });
    await waitFor('controller-3 lists during-partition.txt', async () => {
      const r = await cli(['ls --controllers http://controller-3:8000']);
      return /during-partition\.txt/.test(r.answers[1]!);
    }, { timeoutMs: 120_000, pollMs: 3000 });
    const r = await cli(['download during-partition.txt --controllers http://controller-3:8000']);
    answerOk(r, 1, /Downloaded/);
    assert.is(sha(readFileSync(join(work, 'downloads', 'during-partition.txt'))), sha(part));
    // the others see controller-3 alive at its new address, and it sees the chunkservers
    let last = '';
    await waitFor('controller-1 lists 3/3 controllers alive (controller-3 at its new address) and controller-3 sees healthy chunkservers', async () => {
      const a = await cli(['status --controllers http://controller-1:8000', 'status --controllers http://controller-3:8000']);
      last = `${a.answers[1]}\n${a.answers[2]}`;
      return /3\/3 controllers alive/.test(a.answers[1]!) && /[1-9]\/\d+ chunkservers healthy/.test(a.answers[2]!);
    }, { timeoutMs: 120_000, pollMs: 5000 }).catch((err: Error) => { throw new Error(`${err.message}\n${last}`); });
  });

  test('every chunkserver holds every chunk', async () => {
    const ids = [...files.values()].flatMap(chunkIds);
    for (const c of CHUNKSERVERS) await waitFor(`all ${ids.length} chunks on ${c}`, () => holdsAll(c, ids), { timeoutMs: 180_000, pollMs: 2000 });
  });

  test('configuration: -e CONTROLLER_NODE_ID, -e HEARTBEAT_TIMEOUT=60 -e REPAIR_INTERVAL=120, -v controller-data:/app/data; sqlite3', async () => {
    const hadVolume = (await dockerQuiet(['volume', 'inspect', 'controller-data'])).code === 0;
    await startDetached(QS.configured);
    if (!hadVolume) made.volumes.push('controller-data');
    const start = (await waitLog('controller-4', /distributed controller/))[0]!;
    assert.match(start, /"heartbeatTimeoutMs":60000/);
    assert.match(start, /"repairIntervalMs":120000/);
    assert.match(start, /controller controller-4/);
    await docker(['exec', 'controller-4', 'test', '-f', '/app/data/controller-controller-4/redcloud.db']);
    const count = Number((await sh(QS.sqlite)).trim());
    const ids = new Set([...files.values()].flatMap(chunkIds));
    assert.ok(count >= ids.size * 5, `chunk_locations on controller-1: ${count} rows, >= ${ids.size} chunks x 5`);
    await waitFor('controller-4 knows chunk locations', async () => Number((await sh(QS.sqlite.replace('controller-1', 'controller-4'))).trim()) > 0,
      { timeoutMs: 60_000, pollMs: 2000 });
  });

  test('monitoring: the phrases the quick start greps for are in the logs', async () => {
    const controllerLogs = (await Promise.all(CONTROLLERS.map((c) => logsOf(c)))).join('\n');
    const chunkserverLogs = (await Promise.all(CHUNKSERVERS.map((c) => logsOf(c)))).join('\n');
    const missing: string[] = [];
    for (const phrase of ['Discovered.*peers', 'Sent.*updates', 'Resolved conflict', 'Chunkserver.*failed', 'Repair cycle complete', 'replications successful',
      'Gossip service started', 'Anti-entropy', 'Received heartbeat', 'healthy.*chunkserver']) {
      if (!new RegExp(phrase).test(controllerLogs)) missing.push(`controllers: ${phrase}`);
    }
    for (const phrase of ['Heartbeat sent', 'Successfully replicated']) if (!new RegExp(phrase).test(chunkserverLogs)) missing.push(`chunkservers: ${phrase}`);
    timings.sequence = secs(Date.now() - Number(timings.sequenceStart));
    console.log(`docker quickstart: sequence ${timings.sequence}; 10 MB download with 3 chunkservers stopped ${timings.downloadWith3Stopped}`);
    assert.equal(missing, [], `phrases missing from the logs: ${missing.join('; ')}`);
    // rate-limited: an idle minute does not flood (at most one Sent line per peer every 5 s)
    const sent = controllerLogs.split('\n').filter((l) => /Sent \d+ updates/.test(l)).length;
    const elapsedS = (Date.now() - Number(timings.sequenceStart)) / 1000;
    assert.ok(sent <= 3 * 2 * (elapsedS / 5 + 2), `${sent} "Sent N updates" lines in ${elapsedS.toFixed(0)} s`);
  });

  test('the README has the quick start word for word', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const line of [QS.swarm, QS.network, QS.controller(1), QS.chunkserver(1), QS.cli, QS.configured, QS.sqlite]) {
      assert.ok(readme.includes(line), `README.md has: ${line}`);
    }
    assert.ok(existsSync(join(root, QS.build)));
  });
}

test.run();
