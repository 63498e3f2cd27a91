/**
 * Peer proof: a controller URL that gossip mentions joins the membership only once the controller
 * there proved it holds the cluster's controller key at that very URL. The challenge is an
 * unauthenticated `GET <url>/internal/whoami?nonce=…` (no credential reaches an unproven URL);
 * the answer is a MAC over the nonce, the answering controller's own URL and its id
 * (cluster-auth.ts answerWhoami), so a listener that relays the challenge to a real controller
 * gets a proof for that controller's URL, not its own.
 */
import type { FastifyInstance } from 'fastify';
import { type WhoamiAnswer, answerWhoami, checkWhoami, newNonce } from '../../common/cluster-auth.js';
import { requestJson } from '../../common/http-client.js';
import type { Logger } from '../../common/logger.js';
import type { Signer } from '../../common/tokens.js';
import type { Membership } from './membership.js';

/** Asks `url` to answer `nonce`; the HTTP one is the default, gossip simulations pass their network. */
export type Challenge = (url: string, nonce: string, signal: AbortSignal) => Promise<unknown>;

export const WHOAMI_PATH = '/internal/whoami';

export function httpChallenge(timeoutMs: number): Challenge {
  return (url, nonce, signal) => requestJson(`${url}${WHOAMI_PATH}?nonce=${encodeURIComponent(nonce)}`, { method: 'GET', timeoutMs, signal });
}

export interface PeerProofDeps {
  membership: Membership;
  signer: Signer;
  challenge: Challenge;
  logger: Logger;
}

/** Challenges the due candidates (a few per call, in parallel); each ends proven, re-addressed or backed off. */
export async function proveCandidates(d: PeerProofDeps, signal: AbortSignal): Promise<void> {
  await Promise.all(d.membership.candidatesDue().map(async (url) => {
    const nonce = newNonce();
    let proof: { id: string; url: string } | null = null;
    try {
      proof = checkWhoami(d.signer, await d.challenge(url, nonce, signal), nonce);
      if (!proof) d.logger.warn({ url }, 'A controller URL from gossip answered the challenge without a valid proof; not adding it');
    } catch (err) {
      d.logger.debug({ url, err: (err as Error).message }, 'Challenge of a controller URL from gossip failed');
    }
    d.membership.challenged(url, proof);
  }));
}

/** This controller's answer: a proof for its own URL and id only. */
export function whoami(signer: Signer, membership: Membership, nonce: string): WhoamiAnswer {
  return answerWhoami(signer, nonce, membership.self.url, membership.self.id);
}

export function registerWhoamiRoute(app: FastifyInstance, signer: Signer, membership: Membership): void {
  app.get<{ Querystring: { nonce: string } }>(WHOAMI_PATH, {
    schema: { querystring: { type: 'object', required: ['nonce'], additionalProperties: false, properties: { nonce: { type: 'string', pattern: '^[A-Za-z0-9_-]{16,64}$' } } } },
  }, async (req) => whoami(signer, membership, req.query.nonce));
}
