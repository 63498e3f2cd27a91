/**
 * The AbortSignal of the command now running inside `redcloud shell` (Ctrl-C fires it), looked
 * up by the command's oclif Config. A one-shot command has none: Ctrl-C ends the process, and an
 * upload that never reached its commit leaves nothing behind.
 */
const signals = new WeakMap<object, AbortSignal>();

export function setCommandSignal(config: object, signal: AbortSignal | undefined): void {
  if (signal) signals.set(config, signal);
  else signals.delete(config);
}

export function commandSignal(config: object): AbortSignal | undefined {
  return signals.get(config);
}
