/** `redcloud whoami`: the user of the saved token, as a controller sees it. */
import { BaseCommand } from '../base.js';

export default class Whoami extends BaseCommand<typeof Whoami> {
  static override summary = 'Show the logged-in user.';
  static override description = 'Asks a controller whose token this is; also lists the controllers it knows.';
  static override examples = ['<%= config.bin %> whoami', '<%= config.bin %> whoami --json'];

  async run(): Promise<{ user: string; controllers: string[] }> {
    const { client } = await this.client();
    const res = await client.whoami();
    this.log(res.user);
    return res;
  }
}
