/** `redcloud logout`: forgets the saved token (keeps the controller list). */
import { clearSession } from '../../src/client/session.js';
import { BaseCommand } from '../base.js';

export default class Logout extends BaseCommand<typeof Logout> {
  static override summary = 'Forget the saved session.';
  static override description = 'Removes the saved token and user; the controller list is kept for the next login.';
  static override examples = ['<%= config.bin %> logout'];

  async run(): Promise<{ loggedOut: boolean }> {
    await clearSession();
    this.log('Logged out');
    return { loggedOut: true };
  }
}
