/**
 * The status page in a real browser (issue 16): headless Chromium (Debian's package, driven by
 * playwright-core; installed when missing) loads GET / of controller 1 of a cluster of 2
 * controllers and 3 chunkservers on 127.0.42.x, is redirected to /ui, and its script runs under
 * the page's strict CSP (no CSP violation or script error, no request to another origin, live
 * updates arriving). The numbers shown match /v1/status (chunkservers alive, capacity per server
 * and in total, controllers); a chunkserver killed with SIGKILL turns failed on the page (polled);
 * a screenshot is saved (its path printed) and checked: a PNG of the whole page, and the failed
 * row's own screenshot coloured like a failed row (its most common pixel, decoded in the browser).
 * Then controller 1 itself is killed: the page says so and keeps its last view. Last, a
 * controller of its own with STATUS_PAGE=login: the page shows a login form and no data,
 * and the cluster after logging in through it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CAP_HEADER, type ChunkPutResponse, type ClusterStatus, type PlacementResponse } from '../../src/common/api.js';
import { controllerSchema, loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/logger.js';
import { createController } from '../../src/controller/server.js';
import { ensureChromium } from '../helpers/chromium.js';
import { getJson, http, loginToken, postJson } from '../helpers/http.js';
import { stepsFor } from '../helpers/step.js';
import { waitFor } from '../helpers/wait.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';

// the few browser globals the page callbacks use (the project compiles without the DOM library)
declare const document: any;
declare const Image: any;

const NET = '127.0.42';
const GiB = 1024 ** 3;
/** tr.failed's background in status-page.ts (#f8d7da) */
const FAILED_ROW_RGB = [248, 215, 218];

const test = suite('status-page');
const ctx: { tc?: TestCluster; token: string; browser?: Browser; page?: Page; problems: string[]; foreign: string[] } = { token: '', problems: [], foreign: [] };
const step = stepsFor(test, () => ctx.tc);

useTestCluster(test, 'status-page', ctx, {
  label: 'status-page', net: NET, controllers: 2, chunkservers: 3,
  chunkserverEnv: { CAPACITY_BYTES: '1GiB' },
}, async (tc) => {
  const executablePath = ensureChromium();
  // an account and one stored chunk (usage bars and chunk counts to show), over HTTP: no CLI processes to start
  const reg = await http(`${tc.controllerUrls[0]}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'viewer', password: 'pw-status-page' }) });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.body.toString('utf8')}`);
  ctx.token = await loginToken(tc.controllerUrls[0]!, 'viewer', 'pw-status-page');
  await tc.waitHealthyChunkservers(ctx.token, 3);
  await storeFile(tc.controllerUrls[0]!, ctx.token, '/stored.bin', randomBytes(1024 * 1024));
  ctx.browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 30_000 });
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const origin = new URL(tc.controllerUrls[0]!).origin;
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') ctx.problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (err) => ctx.problems.push(`page error: ${err.message}`));
  page.on('request', (r) => { if (new URL(r.url()).origin !== origin) ctx.foreign.push(r.url()); });
  ctx.page = page;
});
test.after(async () => {
  await ctx.browser?.close().catch(() => undefined);
});

const polls = async (page: Page): Promise<number> => Number(await page.getAttribute('body', 'data-polls'));
const cardValue = async (page: Page, key: string): Promise<number> => Number(await page.getAttribute(`.card[data-key="${key}"]`, 'data-value'));

step('GET / leads to the page; its script runs under the CSP and refreshes it live from /v1/cluster-view', async (tc) => {
  const page = ctx.page!;
  const res = await page.goto(`${tc.controllerUrls[0]}/`, { waitUntil: 'load', timeout: 15_000 });
  assert.is(new URL(page.url()).pathname, '/ui');
  assert.match(String(res?.headers()['content-security-policy']), "script-src 'sha256-");
  assert.is(await page.title(), 'RedCloud status · ctl1');
  // two refreshes by the page's own script (every 2 s): it ran, and fetch is allowed to 'self'
  await page.waitForFunction(() => Number(document.body.getAttribute('data-polls')) >= 2, undefined, { timeout: 10_000, polling: 100 });
  assert.match(String(await page.textContent('#state')), /^Live: updated/);
  assert.equal(ctx.problems, [], 'no CSP violation, script error or warning');
  assert.equal(ctx.foreign, [], 'nothing fetched from another origin');
});

step('the numbers shown are those of /v1/status: chunkservers alive, capacity, usage, chunks, controllers', async (tc) => {
  const page = ctx.page!;
  // the page is at most one poll (2 s) and one cached view (1 s) behind: compare until they agree
  let last = '';
  await waitFor('the page to show what /v1/status says', async () => {
    const { data: status } = await getJson<ClusterStatus>(`${tc.controllerUrls[0]}/v1/status`, ctx.token);
    const healthy = status.chunkservers.filter((c) => c.healthy);
    const shown = await page.evaluate(() => ({
      alive: Number(document.querySelector('.card[data-key="chunkservers-alive"]')?.getAttribute('data-value')),
      aliveText: document.querySelector('.card[data-key="chunkservers-alive"] .value')?.textContent,
      capacity: Number(document.querySelector('.card[data-key="capacity"]')?.getAttribute('data-value')),
      used: Number(document.querySelector('.card[data-key="used"]')?.getAttribute('data-value')),
      chunks: Number(document.querySelector('.card[data-key="chunks"]')?.getAttribute('data-value')),
      under: Number(document.querySelector('.card[data-key="under-replicated"]')?.getAttribute('data-value')),
      controllers: [...document.querySelectorAll('#controllers tbody tr')].map((tr: any) => `${tr.getAttribute('data-id')}:${tr.getAttribute('data-health')}`).sort(),
      servers: [...document.querySelectorAll('#chunkservers tbody tr')].map((tr: any) => [tr.getAttribute('data-id'), tr.getAttribute('data-health'),
        tr.children[1]?.textContent, Number(tr.querySelector('td.capacity')?.getAttribute('data-bytes')), Number(tr.children[6]?.textContent)].join(' ')).sort(),
    }));
    const expected = {
      alive: healthy.length, aliveText: `${healthy.length} / ${status.chunkservers.length}`,
      capacity: healthy.reduce((a, c) => a + c.capacityBytes, 0), used: healthy.reduce((a, c) => a + c.capacityBytes - c.freeBytes, 0),
      chunks: status.chunks.total, under: status.chunks.underReplicated,
      controllers: status.controllers.map((c) => `${c.id}:${c.alive ? 'ok' : 'failed'}`).sort(),
      servers: status.chunkservers.map((c) => [c.id, c.healthy ? 'ok' : 'failed', c.url, c.capacityBytes, c.chunkCount].join(' ')).sort(),
    };
    last = `shown ${JSON.stringify(shown)}\nstatus ${JSON.stringify(expected)}`;
    return JSON.stringify(shown) === JSON.stringify(expected) && expected.alive === 3 && expected.chunks > 0;
  }, { timeoutMs: 15_000, pollMs: 250 }).catch((err: Error) => { throw new Error(`${err.message}\n${last}`); });
  assert.is(await page.textContent('.card[data-key="capacity"] .value'), '3.0 GiB');
  assert.equal(await page.$$eval('#chunkservers td.capacity', (tds) => tds.map((td) => td.textContent)), ['1.0 GiB', '1.0 GiB', '1.0 GiB']);
  // the usage bars show the uploaded chunks
  const usage = await page.$$eval('#chunkservers meter', (ms) => ms.map((m) => Number((m as any).value)));
  assert.ok(usage.length === 3 && usage.every((u) => u > 0 && u <= 1), `usage bars ${usage.join(', ')}`);
  for (const heading of ['Controllers', 'Chunkservers', 'Repair', 'Recent conflicts']) {
    assert.ok(await page.isVisible(`h2:text-is("${heading}")`), heading);
  }
});

step('a chunkserver killed with SIGKILL turns failed on the page; screenshot saved and checked', async (tc) => {
  const page = ctx.page!;
  const victim = tc.chunkservers[0]!;
  const before = await polls(page);
  await victim.kill('SIGKILL');
  // HEARTBEAT_TIMEOUT is 3 s here; the page polls every 2 s
  await page.waitForSelector('#chunkservers tr[data-id="cs1"][data-health="failed"]', { timeout: 20_000 });
  assert.ok((await polls(page)) > before, 'it turned failed by a live update, not a reload');
  assert.is(await page.textContent('#chunkservers tr[data-id="cs1"] td.state'), 'failed');
  assert.is(await cardValue(page, 'chunkservers-alive'), 2);
  assert.is(await cardValue(page, 'capacity'), 2 * GiB);
  const { data: status } = await getJson<ClusterStatus>(`${tc.controllerUrls[0]}/v1/status`, ctx.token);
  assert.is(status.chunkservers.find((c) => c.id === 'cs1')?.healthy, false, '/v1/status agrees');
  assert.equal(await page.$$eval('#chunkservers tr[data-health="ok"]', (trs) => trs.map((tr) => tr.getAttribute('data-id')).sort()), ['cs2', 'cs3']);

  const dir = join(process.env.TMPDIR || tmpdir(), 'redcloud-status-page');
  mkdirSync(dir, { recursive: true });
  const shot = join(dir, `status-page-${Date.now()}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  process.stdout.write(`status page screenshot: ${shot}\n`);
  const png = readFileSync(shot);
  assert.equal([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
  assert.ok(statSync(shot).size > 20_000, `a real page, not a blank one (${statSync(shot).size} bytes)`);
  // the page re-renders every 2 s (new elements, same layout): shoot the row's box, not a stale handle
  const rowShot = await shootBox(page, '#chunkservers tr[data-id="cs1"]');
  assert.ok(rowShot.length > 1000, 'the failed row has a picture');
  const rgb = await dominantColour(rowShot);
  assert.ok(rgb.every((v, i) => Math.abs(v - FAILED_ROW_RGB[i]!) <= 6), `the failed row is drawn in the failed colour: rgb(${rgb.join(', ')})`);
  const okRow = await shootBox(page, '#chunkservers tr[data-id="cs2"]');
  const okRgb = await dominantColour(okRow);
  assert.ok(!okRgb.every((v, i) => Math.abs(v - FAILED_ROW_RGB[i]!) <= 6), `a healthy row is not: rgb(${okRgb.join(', ')})`);
  assert.equal(ctx.problems, [], 'no CSP violation or script error while refreshing');
  assert.equal(ctx.foreign, []);
});

step('the controller itself killed with SIGKILL: the page says it is unreachable and keeps the last view', async (tc) => {
  const page = ctx.page!;
  await tc.controllers[0]!.kill('SIGKILL');
  await page.waitForSelector('#state.failed', { timeout: 10_000 });
  assert.match(String(await page.textContent('#state')), /^Controller unreachable .*retrying every 2 s$/);
  assert.is(await page.locator('#chunkservers tbody tr').count(), 3, 'the last view stays on the page');
});

step('STATUS_PAGE=login: the page asks for a login, then shows the cluster (a controller of its own)', async (tc) => {
  const dir = join(tc.dir, 'login-ctl');
  const config = loadConfig(controllerSchema, {
    CLUSTER_SECRET: 'status-page-login-secret-0123456789', DATA_DIR: dir, BIND_ADDR: `${NET}.31`, PORT: '0', STATUS_PAGE: 'login', CONTROLLER_DNS: '',
  });
  const ctl = createController({ config, logger: silentLogger(), nodeId: 'ctl-login', dbPath: join(dir, 'redcloud.db') });
  const url = await ctl.start();
  try {
    const reg = await http(`${url}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'watcher', password: 'pw-watcher-1' }) });
    assert.is(reg.status, 201);
    assert.is((await http(`${url}/v1/cluster-view`)).status, 401, 'no view without a session');
    const page = await ctx.browser!.newPage();
    try {
      await page.goto(`${url}/ui`, { waitUntil: 'load', timeout: 15_000 });
      await page.waitForSelector('#login:not([hidden])', { timeout: 10_000 });
      assert.is(await page.$('.card'), null, 'no data before the login');
      await page.fill('#login input[name="user"]', 'watcher');
      await page.fill('#login input[name="password"]', 'pw-watcher-1');
      await page.click('#login button[type="submit"]');
      await page.waitForSelector('.card[data-key="controllers-alive"][data-value="1"]', { timeout: 10_000 });
      assert.ok(await page.isHidden('#login'));
      assert.is(await page.inputValue('#login input[name="password"]'), '', 'the password is not kept in the form');
    } finally {
      await page.close();
    }
  } finally {
    await ctl.stop();
  }
});

/** One single-chunk file through the data path (placement, PUT to every target, commit with the receipts). */
async function storeFile(controller: string, token: string, path: string, bytes: Buffer): Promise<void> {
  const id = createHash('sha256').update(bytes).digest('hex');
  const chunk = { id, size: bytes.length };
  const placed = await postJson<PlacementResponse>(`${controller}/v1/fs/placement`, token, { chunks: [chunk] });
  if (placed.status !== 200) throw new Error(`placement: ${placed.status} ${JSON.stringify(placed.data)}`);
  const { targets, cap } = placed.data.chunks[0]!;
  const receipts: string[] = [];
  for (const t of targets) {
    const put = await http(`${t.url}/chunks/${id}`, { method: 'PUT', headers: { [CAP_HEADER]: cap, 'content-type': 'application/octet-stream' }, body: bytes });
    if (put.status !== 200 && put.status !== 201) throw new Error(`PUT to ${t.id}: ${put.status} ${put.body.toString('utf8')}`);
    receipts.push(put.json<ChunkPutResponse>().receipt);
  }
  const commit = await postJson(`${controller}/v1/fs/commit`, token, { path, size: bytes.length, chunks: [chunk], receipts: { [id]: receipts } });
  if (commit.status !== 200) throw new Error(`commit: ${commit.status} ${JSON.stringify(commit.data)}`);
}

async function shootBox(page: Page, selector: string): Promise<Buffer> {
  const box = await page.locator(selector).boundingBox({ timeout: 5000 });
  if (!box) throw new Error(`${selector} is not on the page`);
  return page.screenshot({ clip: box });
}

/** The most common pixel of a PNG, decoded by the browser in a blank page of its own (no CSP there). */
async function dominantColour(png: Buffer): Promise<number[]> {
  const scratch = await ctx.browser!.newPage();
  try {
    return await scratch.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, img.width, img.height).data;
      const counts = new Map<number, number>();
      for (let i = 0; i < px.length; i += 4) {
        const key = (px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const [top] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
      return [(top >> 16) & 255, (top >> 8) & 255, top & 255];
    }, png.toString('base64'));
  } finally {
    await scratch.close();
  }
}

test.run();
