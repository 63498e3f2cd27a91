/** `redcloud login USER [PASSWORD]`: logs in and saves the session (token and controllers). */
import { Args, Flags } from '@oclif/core';
import { saveSession } from '../../src/client/session.js';
import { BaseCommand } from '../base.js';
import { promptPassword } from '../lib/prompt.js';

export default class Login extends BaseCommand<typeof Login> {
  static override summary = 'Log in and save the session.';
  static override description = 'Logs in as USER and saves the token and the controller list in $REDCLOUD_CONFIG_DIR/session.json (default ~/.config/redcloud, mode 0600). Without PASSWORD it is asked for.';
  static override examples = ['<%= config.bin %> login alice', '<%= config.bin %> login alice s3cret --controllers http://127.0.0.1:8000'];
  static override args = {
    user: Args.string({ description: 'User name.', required: true }),
    password: Args.string({ description: 'Password (asked for when omitted).' }),
  };
  static override flags = { password: Flags.string({ char: 'p', description: 'Password, as in "register USER --password P".' }) };

  async run(): Promise<{ user: string; controllers: string[]; expiresAt: number }> {
    const { client } = await this.client();
    const password = this.flags.password ?? this.args.password ?? (await promptPassword('Password: '));
    const res = await client.login(this.args.user, password);
    const controllers = client.controllers();
    await saveSession({ controllers, token: res.token, user: res.user });
    this.log(`Logged in as ${res.user}`);
    return { user: res.user, controllers, expiresAt: res.expiresAt };
  }
}
