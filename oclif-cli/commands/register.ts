/** `redcloud register USER`: creates an account (the password is asked for, piped, or from REDCLOUD_PASSWORD). */
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base.js';
import { obtainPassword, PASSWORD_SOURCES } from '../lib/prompt.js';

export default class Register extends BaseCommand<typeof Register> {
  static override summary = 'Create an account.';
  static override description = `Registers USER on the cluster; then run "redcloud login". The password (at least 8 characters) is ${PASSWORD_SOURCES}; one given as an argument still works but is visible in ps: a warning says so. A controller registers only while it is in sync with a majority of the controllers it knows (otherwise: exit 8, try again); if the same name was registered at the same moment elsewhere, the earlier registration keeps it and the other one learns it on its next command (NAME_TAKEN).`;
  static override examples = [
    '<%= config.bin %> register alice',
    'printf "%s\\n" "$PW" | <%= config.bin %> register alice',
    'REDCLOUD_PASSWORD=... <%= config.bin %> register alice',
  ];
  static override args = {
    user: Args.string({ description: 'User name (letters, digits, ".", "_", "-").', required: true, ignoreStdin: true }),
    password: Args.string({ description: 'Password (discouraged: visible in ps; asked for when omitted).', ignoreStdin: true }),
  };
  static override flags = { password: Flags.string({ char: 'p', description: 'Password (discouraged: visible in ps; asked for when omitted).' }) };

  async run(): Promise<{ user: string }> {
    const { client } = await this.client();
    const password = await obtainPassword(this.flags.password ?? this.args.password);
    await client.register(this.args.user, password);
    this.log(`Registered ${this.args.user}`);
    return { user: this.args.user };
  }
}
