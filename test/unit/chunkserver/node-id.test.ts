/**
 * Node ids (configured, generated once and kept in DATA_DIR) and controller addresses
 * (host:port → URL, DNS set replacement, forgetting unreachable learned controllers).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ControllerSet, controllerUrl, MAX_LEARNED_FAILURES } from '../../../src/chunkserver/controllers.js';
import { resolveNodeId } from '../../../src/chunkserver/node-id.js';
import { removeDir, tempDir } from './helpers.js';

test('node id: configured wins; else generated once and kept', async () => {
  const dir = await tempDir();
  try {
    assert.is(await resolveNodeId('cs-7', dir, 1), 'cs-7');
    const generated = await resolveNodeId('', join(dir, 'data'), 1234);
    assert.match(generated, /-1234$/);
    assert.is((await readFile(join(dir, 'data', 'node-id'), 'utf8')).trim(), generated);
    assert.is(await resolveNodeId('', join(dir, 'data'), 9999), generated);
    await writeFile(join(dir, 'data', 'node-id'), 'bad id with spaces\n');
    try {
      await resolveNodeId('', join(dir, 'data'), 1);
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code?: string }).code, 'INVALID');
    }
  } finally {
    await removeDir(dir);
  }
});

test('controller URLs and the controller set', () => {
  assert.is(controllerUrl('10.0.0.1:8000'), 'http://10.0.0.1:8000');
  assert.is(controllerUrl('http://c1:8000/'), 'http://c1:8000');
  const set = new ControllerSet();
  set.add('127.0.0.11:8000', 'config');
  assert.equal(set.setDns(['http://10.0.0.2:8000', 'http://127.0.0.11:8000']), ['http://10.0.0.2:8000']);
  set.add('http://10.0.0.9:8000', 'learned');
  for (let i = 0; i < MAX_LEARNED_FAILURES - 1; i++) assert.is(set.failed('http://10.0.0.9:8000'), false);
  assert.is(set.failed('http://10.0.0.9:8000'), true);
  for (let i = 0; i < MAX_LEARNED_FAILURES + 5; i++) set.failed('http://127.0.0.11:8000');
  assert.equal(set.urls(), ['http://127.0.0.11:8000', 'http://10.0.0.2:8000']);
  // gone from DNS and unreachable: forgotten like a learned one
  set.setDns([]);
  for (let i = 0; i < MAX_LEARNED_FAILURES; i++) set.failed('http://10.0.0.2:8000');
  assert.equal(set.urls(), ['http://127.0.0.11:8000']);
});

test.run();
