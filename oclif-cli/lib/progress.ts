/**
 * A cli-progress bar for transfers, or nothing when output is not for a person. The text after
 * the bar (human sizes, rate, ETA) comes from progress-format.ts; it rides in the payload key
 * `text` because cli-progress's own `{total}`/`{value}` tokens would override same-named payload
 * keys (the cause of `164.0 MiB/800000000`).
 */
import cliProgress from 'cli-progress';
import type { Progress } from '../../src/client/types.js';
import { createRateMeter, progressFields, progressText } from './progress-format.js';

export interface Bar {
  update: (p: Progress) => void;
  stop: () => void;
}

export function progressBar(enabled: boolean, label: string, stream: NodeJS.WriteStream = process.stdout, now: () => number = Date.now): Bar {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {text}`, hideCursor: true, clearOnComplete: true, stream },
    cliProgress.Presets.shades_classic,
  );
  const meter = createRateMeter();
  let started = false;
  let stopped = false;
  return {
    update: (p) => {
      if (stopped) return;
      const total = Math.max(p.totalBytes, p.doneBytes, 1);
      meter.add(now(), p.doneBytes);
      const text = progressText(progressFields(p.doneBytes, total, meter.rate()));
      if (!started) {
        bar.start(total, 0, { text });
        started = true;
      }
      bar.setTotal(total);
      bar.update(p.doneBytes, { text });
    },
    stop: () => {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
  };
}
