/** A cli-progress bar for transfers, or nothing when output is not for a person. */
import cliProgress from 'cli-progress';
import type { Progress } from '../../src/client/types.js';
import { formatBytes } from './format.js';

export interface Bar {
  update: (p: Progress) => void;
  stop: () => void;
}

export function progressBar(enabled: boolean, label: string): Bar {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% {done}/{total}`, hideCursor: true, clearOnComplete: true, stream: process.stdout },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p) => {
      const total = Math.max(p.totalBytes, p.doneBytes, 1);
      if (!started) {
        bar.start(total, 0, { done: formatBytes(0), total: formatBytes(total) });
        started = true;
      }
      bar.setTotal(total);
      bar.update(p.doneBytes, { done: formatBytes(p.doneBytes), total: formatBytes(total) });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
