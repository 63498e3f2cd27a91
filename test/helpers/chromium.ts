/**
 * The system's headless Chromium for browser tests (Debian's `chromium` package, driven with
 * playwright-core, which downloads no browser): found at CHROMIUM_PATH or /usr/bin/chromium, and
 * installed with apt-get when missing (as root, or through passwordless sudo), as
 * scripts/ensure-deps.sh does on a fresh machine. Throws with what to run when it cannot.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export function ensureChromium(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  const path = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
  if (existsSync(path)) return path;
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : ['sudo', '-n'];
  log(`${path} is missing: installing Debian's chromium with apt-get${root ? '' : ' (sudo -n)'}`);
  for (const args of [['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium']]) {
    const [cmd, ...rest] = [...sudo, ...args];
    const r = spawnSync(cmd!, rest, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 10 * 60_000 });
    if (r.status !== 0) {
      throw new Error(`Could not install chromium (${[cmd, ...rest].join(' ')} exited ${r.status ?? r.signal}: ${String(r.stderr ?? '').trim().slice(-300)}); `
        + 'run `sudo apt-get install -y chromium` or set CHROMIUM_PATH');
    }
  }
  if (!existsSync(path)) throw new Error(`apt-get installed chromium but ${path} is still missing; set CHROMIUM_PATH`);
  return path;
}
