/** Peer proof and membership bounds: a URL from gossip becomes a peer only once it proved itself there. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { answerWhoami } from '../../../src/common/cluster-auth.js';
import { silentLogger } from '../../../src/common/logger.js';
import { Signer } from '../../../src/common/tokens.js';
import { MAX_CANDIDATES, MAX_CHALLENGE_ATTEMPTS, Membership } from '../../../src/controller/gossip/membership.js';
import { type Challenge, proveCandidates } from '../../../src/controller/gossip/peer-proof.js';

const signer = new Signer('peer-proof-secret-0123456789');
const C1 = 'http://127.0.0.1:8001';
const C2 = 'http://127.0.0.2:8000';
const LISTENER = 'http://127.0.0.9:8000';

function membership(clock: { ms: number }, extra: Partial<ConstructorParameters<typeof Membership>[0]> = {}): Membership {
  return new Membership({
    self: { id: 'c1', url: C1 }, seeds: [], dnsName: '', dnsPort: 8000, aliveWindowMs: 5000, maxBackoffMs: 4000, baseBackoffMs: 100,
    logger: silentLogger(), now: () => clock.ms, ...extra,
  });
}

/** c2 answers at C2 with the real key; the listener relays every challenge to c2. */
const network: Challenge = async (url, nonce) => {
  if (url === C2 || url === LISTENER) return answerWhoami(signer, nonce, C2, 'c2');
  throw new Error('unreachable');
};
const run = (m: Membership, challenge: Challenge = network) => proveCandidates({ membership: m, signer, challenge, logger: silentLogger() }, new AbortController().signal);

test('a URL gossip mentions is no peer until it proves itself; then it is', async () => {
  const clock = { ms: 1000 };
  const m = membership(clock);
  m.add([C2], 'gossip');
  assert.equal(m.urls(), [C1], 'not passed on');
  assert.equal(m.contactable(), [], 'not contacted with a credential');
  assert.equal(m.status(), [], 'not in status');
  await run(m);
  assert.equal(m.urls(), [C1, C2]);
  assert.equal(m.status().map((p) => p.id), ['c2']);
});

test('a listener relaying the challenge to a real controller proves only that controller\'s URL', async () => {
  const clock = { ms: 1000 };
  const m = membership(clock);
  m.add([LISTENER], 'gossip');
  await run(m);
  assert.not.ok(m.urls().includes(LISTENER));
  await run(m); // the URL it pointed at is challenged on its own
  assert.equal(m.urls(), [C1, C2]);
  m.add([LISTENER], 'gossip');
  assert.equal(m.candidatesDue(), [], 'a known relay is not asked again');
});

test('wrong secret, garbage or silence: never a peer; dropped after MAX_CHALLENGE_ATTEMPTS with backoff', async () => {
  const clock = { ms: 1000 };
  const m = membership(clock);
  const wrong = new Signer('another-secret-0123456789abc');
  const bad: Challenge = async (url, nonce) => (url.endsWith('1:8000') ? answerWhoami(wrong, nonce, url, 'x') : url.endsWith('2:8000') ? { id: 'c9', url, nonce, mac: 'AAAA' } : undefined);
  m.add(['http://127.0.1.1:8000', 'http://127.0.1.2:8000', 'http://127.0.1.3:8000'], 'gossip');
  let challenges = 0;
  const counting: Challenge = async (url, nonce, s) => {
    challenges++;
    return bad(url, nonce, s);
  };
  for (let i = 0; i < 40; i++) {
    await run(m, counting);
    clock.ms += 5000;
  }
  assert.equal(m.urls(), [C1]);
  assert.is(challenges, 3 * MAX_CHALLENGE_ATTEMPTS);
  assert.equal(m.candidatesDue(), []);
});

test('bounded: at most MAX_CANDIDATES candidates and maxPeers peers', async () => {
  const clock = { ms: 1000 };
  const m = membership(clock, { maxPeers: 3 });
  m.add(Array.from({ length: 500 }, (_, i) => `http://10.0.${i >> 8}.${i & 255}:8000`), 'gossip');
  const due = new Set<string>();
  for (let i = 0; i < 20; i++) for (const u of m.candidatesDue(100)) due.add(u);
  assert.ok(due.size <= MAX_CANDIDATES, `${due.size} candidates`);
  const everyoneProves: Challenge = async (url, nonce) => answerWhoami(signer, nonce, url, `n${url.length}${url.slice(-8)}`);
  for (let i = 0; i < 20; i++) await run(m, everyoneProves);
  assert.is(m.all().length, 3);
});

test('a learned peer dead for longer than forgetAfterMs is forgotten; a seed is kept', async () => {
  const clock = { ms: 1000 };
  const m = membership(clock, { seeds: ['127.0.0.3:8000'], forgetAfterMs: 60_000 });
  m.add([C2], 'gossip');
  await run(m);
  assert.equal(m.urls().sort(), [C1, C2, 'http://127.0.0.3:8000'].sort());
  clock.ms += 30_000;
  m.contactable();
  assert.ok(m.urls().includes(C2), 'dead for less than the limit: kept');
  clock.ms += 31_000;
  m.contactable();
  assert.equal(m.urls().sort(), [C1, 'http://127.0.0.3:8000'].sort());
  m.add([C2], 'gossip');
  assert.equal(m.candidatesDue(), [C2], 'it may come back, proven again');
});

test.run();
