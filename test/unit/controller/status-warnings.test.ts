/** /v1/status carries the controller's start-up warnings (the development or a short CLUSTER_SECRET), so `redcloud status` shows them. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEV_CLUSTER_SECRET } from '../../../src/common/config.js';
import { makeController } from './helpers.js';

const statusWith = async (env: Record<string, string>): Promise<{ warnings?: string[] }> => {
  const t = await makeController(env);
  try {
    const token = await t.login();
    const res = await t.call('GET', '/v1/status', undefined, token);
    assert.is(res.status, 200);
    return res.json;
  } finally {
    await t.close();
  }
};

test('the development secret is named in every status answer', async () => {
  const s = await statusWith({ CLUSTER_SECRET: DEV_CLUSTER_SECRET });
  assert.ok(s.warnings?.some((w) => /insecure development default/.test(w)), JSON.stringify(s.warnings));
});

test('a short secret on loopback is warned about; a long random one gives no warnings', async () => {
  assert.ok((await statusWith({ CLUSTER_SECRET: 'short-secret' })).warnings?.some((w) => /shorter than 16/.test(w)));
  assert.is((await statusWith({ CLUSTER_SECRET: 'f3c1a9e07b5d42c8a6e19f0b3d7c5a21' })).warnings, undefined);
});

test.run();
