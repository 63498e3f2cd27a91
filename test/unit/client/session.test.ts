/** Session file and controller resolution order: flag, env, saved session, default. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONTROLLER, clearSession, loadClient, readSession, resolveControllers, saveSession } from '../../../src/client/session.js';


let dir = '';
test.before(async () => { dir = await mkdtemp(join(tmpdir(), 'redcloud-session-')); });
test.after(async () => { await rm(dir, { recursive: true, force: true }); });

test('resolveControllers order', () => {
  assert.equal(resolveControllers(['http://f:1'], ['http://e:1'], ['http://s:1']), { controllers: ['http://f:1'], source: 'flag' });
  assert.equal(resolveControllers(['a:1,b:1'], [], []), { controllers: ['a:1', 'b:1'], source: 'flag' });
  assert.equal(resolveControllers(undefined, ['http://e:1'], ['http://s:1']), { controllers: ['http://e:1'], source: 'env' });
  assert.equal(resolveControllers([], [], ['http://s:1']), { controllers: ['http://s:1'], source: 'session' });
  assert.equal(resolveControllers(undefined, [], []), { controllers: [DEFAULT_CONTROLLER], source: 'default' });
});

test('save, read (mode 0600), load in order, clear keeps controllers', async () => {
  const env = { REDCLOUD_CONFIG_DIR: join(dir, 'cfg') };
  assert.equal(await readSession({ env }), { controllers: [] });
  let loaded = await loadClient({ env });
  assert.equal(loaded.client.controllers(), [DEFAULT_CONTROLLER]);
  await saveSession({ controllers: ['http://127.0.3.1:8000'], token: 't', user: 'alice' }, { env });
  const st = await stat(join(dir, 'cfg', 'session.json'));
  assert.is(st.mode & 0o777, 0o600);
  assert.equal(JSON.parse(await readFile(join(dir, 'cfg', 'session.json'), 'utf8')), { controllers: ['http://127.0.3.1:8000'], token: 't', user: 'alice' });
  loaded = await loadClient({ env });
  assert.equal(loaded.client.controllers(), ['http://127.0.3.1:8000']);
  assert.is(loaded.client.token, 't');
  assert.is(loaded.session.user, 'alice');
  loaded = await loadClient({ env: { ...env, REDCLOUD_CONTROLLERS: 'http://127.0.3.2:8000,127.0.3.3:8000' } });
  assert.equal(loaded.client.controllers(), ['http://127.0.3.2:8000', 'http://127.0.3.3:8000']);
  loaded = await loadClient({ env: { ...env, REDCLOUD_CONTROLLERS: 'http://127.0.3.2:8000' }, controllers: ['http://127.0.3.4:8000'] });
  assert.equal(loaded.client.controllers(), ['http://127.0.3.4:8000']);
  await clearSession({ env });
  assert.equal(await readSession({ env }), { controllers: ['http://127.0.3.1:8000'] });
});

test('corrupt session file is INVALID', async () => {
  const env = { REDCLOUD_CONFIG_DIR: join(dir, 'bad') };
  await saveSession({ controllers: [] }, { env });
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'bad', 'session.json'), '{not json');
  try {
    await readSession({ env });
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'INVALID');
  }
});

test.run();
