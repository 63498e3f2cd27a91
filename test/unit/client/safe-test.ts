/**
 * uvu's reporter crashes on errors carrying a non-string `details` (as RedCloudError does) and
 * then reports nothing; this `test` turns such errors into plain ones so failures are printed.
 */
import { suite, type Test } from 'uvu';

function plain(err: unknown): unknown {
  const e = err as { details?: unknown; code?: string; message?: string; stack?: string } | null;
  if (e && e.details !== undefined && typeof e.details !== 'string') {
    const out = new Error(`${e.code ?? 'ERROR'}: ${e.message} ${JSON.stringify(e.details)}`);
    out.stack = `${out.message}\n${e.stack ?? ''}`;
    return out;
  }
  return err;
}

/** A fresh suite per test file (call once at the top of the file). */
export function safeSuite(name?: string): Test {
  const base = suite(name);
  const wrapped = ((title: string, fn: (ctx: unknown) => unknown) =>
    base(title, async (ctx) => {
      try {
        await fn(ctx);
      } catch (err) {
        throw plain(err);
      }
    })) as unknown as Test;
  Object.assign(wrapped, { before: base.before, after: base.after, run: base.run, skip: base.skip });
  return wrapped;
}
