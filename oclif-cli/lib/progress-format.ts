/**
 * What a transfer's progress line says, pure (times are passed in): human sizes on both sides of
 * the slash, the rate over the last few seconds and the time left at that rate, e.g.
 * `photo.jpg [██████░░░░] 60% 164.0 MiB / 762.9 MiB  41.2 MiB/s  ETA 0:15`.
 */
import { formatBytes } from './format.js';

/** How far back the rate looks: long enough to smooth chunk bursts, short enough to follow changes. */
export const RATE_WINDOW_MS = 5_000;
/** Samples kept at most (one per update; updates come per stored chunk). */
const MAX_SAMPLES = 256;

export interface RateMeter {
  /** Records that `doneBytes` were done at `atMs`. */
  add(atMs: number, doneBytes: number): void;
  /** Bytes per second over the window, or undefined before there is a time span to measure. */
  rate(): number | undefined;
}

export function createRateMeter(windowMs = RATE_WINDOW_MS): RateMeter {
  const samples: { atMs: number; doneBytes: number }[] = [];
  return {
    add(atMs, doneBytes) {
      samples.push({ atMs, doneBytes });
      // keep one sample older than the window as the baseline of the span
      while (samples.length > 2 && (samples[1]!.atMs <= atMs - windowMs || samples.length > MAX_SAMPLES)) samples.shift();
    },
    rate() {
      if (samples.length < 2) return undefined;
      const first = samples[0]!;
      const last = samples[samples.length - 1]!;
      const spanMs = last.atMs - first.atMs;
      if (spanMs <= 0) return undefined;
      return Math.max(0, ((last.doneBytes - first.doneBytes) * 1000) / spanMs);
    },
  };
}

/** `0:07`, `12:34`, `1:02:03`; `--:--` when unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '--:--';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** `41.2 MiB/s`, `-- B/s` when unknown. */
export function formatRate(bytesPerSec: number | undefined): string {
  if (bytesPerSec === undefined || !Number.isFinite(bytesPerSec)) return '-- B/s';
  return `${formatBytes(Math.round(bytesPerSec))}/s`;
}

/** Time left at `bytesPerSec` (undefined when the rate is unknown or zero). */
export function etaMs(doneBytes: number, totalBytes: number, bytesPerSec: number | undefined): number | undefined {
  if (doneBytes >= totalBytes) return 0;
  if (bytesPerSec === undefined || bytesPerSec <= 0) return undefined;
  return ((totalBytes - doneBytes) * 1000) / bytesPerSec;
}

export interface ProgressFields {
  done: string;
  total: string;
  rate: string;
  eta: string;
  percent: number;
}

/** The human fields of one progress line. */
export function progressFields(doneBytes: number, totalBytes: number, bytesPerSec: number | undefined): ProgressFields {
  const total = Math.max(totalBytes, doneBytes);
  return {
    done: formatBytes(doneBytes),
    total: formatBytes(total),
    rate: formatRate(bytesPerSec),
    eta: formatDuration(etaMs(doneBytes, total, bytesPerSec)),
    percent: total === 0 ? 100 : Math.floor((doneBytes / total) * 100),
  };
}

/** The text after the bar: `60% 164.0 MiB / 762.9 MiB  41.2 MiB/s  ETA 0:15`. */
export function progressText(f: ProgressFields): string {
  return `${f.percent}% ${f.done} / ${f.total}  ${f.rate}  ETA ${f.eta}`;
}
