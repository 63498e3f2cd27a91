/** `redcloud register USER [PASSWORD] [--password P]`: creates an account (asks for the password if not given). */
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base.js';
import { promptPassword } from '../lib/prompt.js';

export default class Register extends BaseCommand<typeof Register> {
  static override summary = 'Create an account.';
  static override description = 'Registers USER on the cluster. Without PASSWORD (or --password), the password is asked for (hidden on a terminal, one line from stdin otherwise). Then run "redcloud login".';
  static override examples = ['<%= config.bin %> register alice', '<%= config.bin %> register alice s3cret', '<%= config.bin %> register alice --password s3cret'];
  static override args = {
    user: Args.string({ description: 'User name (letters, digits, ".", "_", "-").', required: true }),
    password: Args.string({ description: 'Password (asked for when omitted), as in "login USER PASSWORD".' }),
  };
  static override flags = { password: Flags.string({ char: 'p', description: 'Password (asked for when omitted).' }) };

  async run(): Promise<{ user: string }> {
    const { client } = await this.client();
    const password = this.flags.password ?? this.args.password ?? (await promptPassword('Password: '));
    await client.register(this.args.user, password);
    this.log(`Registered ${this.args.user}`);
    return { user: this.args.user };
  }
}
