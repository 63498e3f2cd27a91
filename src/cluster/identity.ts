/**
 * Which user `redcloud cluster up` mounts as and logs the CLI in as (pure): one identity for both.
 * With a saved CLI login (session.json has a user and a token) that user is kept (the demo user
 * simply logs in again, registered first if missing); `--user NAME`
 * chooses explicitly; otherwise the demo user is created and logged in. When this cluster refuses a
 * kept login (expired token, another cluster's secret), the demo user simply logs in again; another
 * user needs a password (REDCLOUD_PASSWORD or a terminal), else the launcher stops with a message
 * saying what to do, and never replaces the saved login silently.
 */
export interface SavedLogin {
  user?: string;
  token?: string;
  controllers: string[];
}

export type IdentityPlan =
  /** verify the saved token on this cluster and keep it */
  | { kind: 'keep'; user: string }
  /** register (if missing) and log in the demo user with its known password */
  | { kind: 'demo'; user: string; replaces?: string }
  /** log in USER with a password the launcher has to obtain */
  | { kind: 'login'; user: string; replaces?: string };

export function planIdentity(saved: SavedLogin, opts: { flagUser?: string; demoUser: string }): IdentityPlan {
  const savedUser = saved.user && saved.token ? saved.user : undefined;
  const replaces = (user: string): { replaces?: string } => (savedUser && savedUser !== user ? { replaces: savedUser } : {});
  if (opts.flagUser !== undefined && opts.flagUser !== '') {
    if (opts.flagUser === savedUser && savedUser !== opts.demoUser) return { kind: 'keep', user: savedUser };
    if (opts.flagUser === opts.demoUser) return { kind: 'demo', user: opts.demoUser, ...replaces(opts.demoUser) };
    return { kind: 'login', user: opts.flagUser, ...replaces(opts.flagUser) };
  }
  // demo logs in afresh (registered first if this cluster's data lacks it): its password is known
  if (savedUser && savedUser !== opts.demoUser) return { kind: 'keep', user: savedUser };
  return { kind: 'demo', user: opts.demoUser };
}

/** What to do when this cluster refuses the saved token of `user` (`why`: the controller's answer). */
export function planAfterRefusedLogin(user: string, opts: { demoUser: string; passwordAvailable: boolean; why: string }): IdentityPlan | { error: string } {
  if (user === opts.demoUser) return { kind: 'demo', user };
  if (opts.passwordAvailable) return { kind: 'login', user };
  return {
    error: `The CLI is logged in as ${user}, but this cluster refuses that login (${opts.why}). `
      + `Give ${user}'s password (REDCLOUD_PASSWORD=… or run from a terminal, which asks), `
      + `or start as the demo user with --user ${opts.demoUser} (that replaces the saved login of ${user}).`,
  };
}

/** The launcher's line about the identity, e.g. `user alice (the CLI's saved login, kept)`. */
export function describeIdentity(plan: IdentityPlan, outcome: 'kept' | 'created' | 'exists' | 'logged-in'): string {
  const replaced = plan.kind !== 'keep' && plan.replaces ? `; replaces the saved login of ${plan.replaces}` : '';
  if (outcome === 'kept') return `user ${plan.user} (the CLI's saved login, kept): the mount and the CLI use it`;
  if (outcome === 'logged-in') return `user ${plan.user} (logged in${replaced}): the mount and the CLI use it`;
  return `user ${plan.user} (${outcome === 'created' ? 'created' : 'already exists'}, password demo-password${replaced}): the mount and the CLI use it`;
}
