/**
 * Pure readers of the docker/ files for the drift checks: a Dockerfile's final-stage ENV names,
 * ENTRYPOINT/CMD, HEALTHCHECK and USER; the images build-images.sh builds; the image references
 * and environment variable names of a compose/stack file (line-based, for our own simple YAML).
 */

export interface DockerfileFacts {
  /** ENV names set in the final stage */
  env: string[];
  /** exec-form ENTRYPOINT followed by CMD of the final stage */
  command: string[];
  healthcheck?: string;
  user?: string;
}

/** Joins backslash-continued lines and drops comments. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let acc = '';
  for (const raw of text.split('\n')) {
    if (!acc && /^\s*#/.test(raw)) continue;
    if (/\\\s*$/.test(raw)) {
      acc += raw.replace(/\\\s*$/, ' ');
      continue;
    }
    out.push((acc + raw).trim());
    acc = '';
  }
  if (acc) out.push(acc.trim());
  return out.filter(Boolean);
}

function execForm(arg: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(arg);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec-form array: ${arg}`);
  return parsed as string[];
}

/** `ENV A=1 B=2` and `ENV A 1` → names. */
function envNames(arg: string): string[] {
  if (!arg.includes('=')) return [arg.split(/\s+/)[0]!];
  return [...arg.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]!);
}

export function parseDockerfile(text: string): DockerfileFacts {
  let facts: DockerfileFacts = { env: [], command: [] };
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  for (const line of logicalLines(text)) {
    const m = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(line);
    if (!m) continue;
    const [, instr, arg] = m as unknown as [string, string, string];
    switch (instr.toUpperCase()) {
      case 'FROM':
        facts = { env: [], command: [] };
        entrypoint = [];
        cmd = [];
        break;
      case 'ENV':
        facts.env.push(...envNames(arg));
        break;
      case 'ENTRYPOINT':
        entrypoint = execForm(arg);
        break;
      case 'CMD':
        cmd = execForm(arg);
        break;
      case 'HEALTHCHECK':
        facts.healthcheck = arg;
        break;
      case 'USER':
        facts.user = arg.trim();
        break;
      default:
    }
  }
  facts.command = [...entrypoint, ...cmd];
  return facts;
}

/** The image names (without tag) `docker/scripts/build-images.sh` builds, with the Dockerfile of each. */
export function builtImages(script: string): Array<{ image: string; dockerfile: string }> {
  const loop = /for\s+(\w+)\s+in\s+([^;\n]+);\s*do([\s\S]*?)done/.exec(script);
  if (!loop) throw new Error('build-images.sh: no `for X in …; do … done` loop');
  const [, variable, list, body] = loop as unknown as [string, string, string, string];
  const build = /docker build\s+-f\s+"?([^"\s]+)"?\s+-t\s+"?([^":\s]+)(?::[^"\s]*)?"?/.exec(body);
  if (!build) throw new Error('build-images.sh: no `docker build -f FILE -t IMAGE` in the loop');
  const subst = (s: string, value: string) => s.replace(new RegExp(`\\$\\{?${variable}\\}?`, 'g'), value);
  return list.trim().split(/\s+/).map((value) => ({ dockerfile: subst(build[1]!, value), image: subst(build[2]!, value) }));
}

/** Every `image:` of a compose/stack file, without its tag. */
export function composeImages(yaml: string): string[] {
  return [...yaml.matchAll(/^\s*image:\s*["']?([^"'\s#]+)/gm)].map((m) => m[1]!.replace(/:[^/:]*$/, ''));
}

/** Every environment variable name a compose/stack file sets (upper-case mapping keys). */
export function composeEnvNames(yaml: string): string[] {
  const names = new Set<string>();
  for (const line of yaml.split('\n')) {
    const code = line.replace(/\s#.*$/, '').replace(/^\s*#.*$/, '').replace(/\$\{[^}]*\}/g, '');
    for (const m of code.matchAll(/(?:^|[\s{,])([A-Z][A-Z0-9_]*):(?=\s|$)/g)) names.add(m[1]!);
  }
  return [...names].sort();
}
