/** `redcloud login USER`: logs in and saves the session (token and controllers). */
import { Args, Flags } from '@oclif/core';
import { saveSession } from '../../src/client/session.js';
import { BaseCommand } from '../base.js';
import { obtainPassword, PASSWORD_SOURCES } from '../lib/prompt.js';

export default class Login extends BaseCommand<typeof Login> {
  static override summary = 'Log in and save the session.';
  static override description = `Logs in as USER and saves the token and the controller list in $REDCLOUD_CONFIG_DIR/session.json (default ~/.config/redcloud, mode 0600). The password is ${PASSWORD_SOURCES}. A password given as an argument still works but is visible in ps: a warning says so. After 5 wrong passwords the user is locked on every controller for LOGIN_LOCK (default 5 s, doubling with each further attempt), even for the right password; the error says in how many seconds to try again.`;
  static override examples = [
    '<%= config.bin %> login alice',
    'printf "%s\\n" "$PW" | <%= config.bin %> login alice',
    'REDCLOUD_PASSWORD=... <%= config.bin %> login alice --controllers http://127.0.0.1:8000',
  ];
  static override args = {
    user: Args.string({ description: 'User name.', required: true, ignoreStdin: true }),
    password: Args.string({ description: 'Password (discouraged: visible in ps; asked for when omitted).', ignoreStdin: true }),
  };
  static override flags = { password: Flags.string({ char: 'p', description: 'Password (discouraged: visible in ps; asked for when omitted).' }) };

  async run(): Promise<{ user: string; controllers: string[]; expiresAt: number }> {
    const { client } = await this.client();
    const password = await obtainPassword(this.flags.password ?? this.args.password);
    const res = await client.login(this.args.user, password);
    const controllers = client.controllers();
    await saveSession({ controllers, token: res.token, user: res.user });
    this.log(`Logged in as ${res.user}`);
    return { user: res.user, controllers, expiresAt: res.expiresAt };
  }
}
