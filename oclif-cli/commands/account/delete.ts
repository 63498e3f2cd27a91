/** `redcloud account delete USER`: deletes an account; its password is the proof. */
import { Args, Flags } from '@oclif/core';
import { clearSession } from '../../../src/client/session.js';
import { BaseCommand } from '../../base.js';
import { obtainPassword, PASSWORD_SOURCES } from '../../lib/prompt.js';

export default class AccountDelete extends BaseCommand<typeof AccountDelete> {
  static override summary = 'Delete an account (needs its password).';
  static override description = `Deletes USER after checking its password (${PASSWORD_SOURCES}); every session of the account ends on every controller. The name stays retired: nobody can register it again and reach what was stored under it. Wrong passwords count towards the login lock.`;
  static override examples = ['<%= config.bin %> account delete alice', 'printf "%s\\n" "$PW" | <%= config.bin %> account delete alice'];
  static override args = { user: Args.string({ description: 'User name.', required: true, ignoreStdin: true }) };
  static override flags = { password: Flags.string({ char: 'p', description: 'Password (discouraged: visible in ps; asked for when omitted).' }) };

  async run(): Promise<{ deleted: string }> {
    const { client, session } = await this.client();
    const password = await obtainPassword(this.flags.password);
    await client.deleteAccount(this.args.user, password);
    if (session.user === this.args.user) await clearSession();
    this.log(`Deleted account ${this.args.user}`);
    return { deleted: this.args.user };
  }
}
