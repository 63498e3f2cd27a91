/** Remote names typed on the command line: without a leading "/" they are relative to "/". */
import { baseName, normalizePath } from '../../src/common/paths.js';
import type { EntryInfo } from '../../src/common/api.js';
import type { RedCloudClient } from '../../src/client/types.js';

export function remotePath(name: string): string {
  return normalizePath(name, { relativeTo: '/' });
}

export { baseName };

/** Every file below `root` (depth-first, bounded by the namespace itself). */
export async function walkFiles(client: RedCloudClient, root: string): Promise<EntryInfo[]> {
  const out: EntryInfo[] = [];
  const dirs = [root];
  while (dirs.length > 0) {
    const dir = dirs.pop()!;
    for (const e of await client.list(dir)) {
      if (e.kind === 'dir') dirs.push(e.path);
      else if (e.kind === 'file') out.push(e);
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
