/** What a cluster test checks on this machine after a command: is a process alive, is a directory mounted. */
import { readFileSync } from 'node:fs';

/** A pid that exists and is not a zombie (an exited daemon waits for init to reap it). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

export function isMounted(dir: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir);
}
