/** `redcloud logout`: ends the session on the cluster and forgets the saved token (keeps the controller list). */
import { clearSession } from '../../src/client/session.js';
import { RedCloudError } from '../../src/common/errors.js';
import { BaseCommand } from '../base.js';

export default class Logout extends BaseCommand<typeof Logout> {
  static override summary = 'End the session and forget it.';
  static override description = 'Revokes the session on the cluster (every token of the account issued so far stops working on every controller), then removes the saved token and user; the controller list is kept for the next login. If no controller can be reached the token is still forgotten here, with a warning that it stays valid until it expires.';
  static override examples = ['<%= config.bin %> logout'];

  async run(): Promise<{ loggedOut: boolean; revoked: boolean }> {
    const { client, session } = await this.client();
    let revoked = false;
    if (session.token) {
      try {
        await client.logout();
        revoked = true;
      } catch (err) {
        const expired = err instanceof RedCloudError && (err.code === 'UNAUTHORIZED' || err.code === 'NAME_TAKEN');
        if (!expired) process.stderr.write(`Warning: could not revoke the session on the cluster (${(err as Error).message}); the token stays valid until it expires\n`);
      }
    }
    await clearSession();
    this.log('Logged out');
    return { loggedOut: true, revoked };
  }
}
