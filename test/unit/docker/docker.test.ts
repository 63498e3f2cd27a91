/**
 * Drift checks of docker/ against the code: each Dockerfile runs a bin/ file that package.json
 * declares, sets only environment variables that a schema of src/common/config.ts knows, health
 * checks /health, and (controller, chunkserver) runs as a non-root user; build-images.sh builds
 * every Dockerfile, and compose.yml and stack.yml use only those images and known variables;
 * stack.yml has the quick start's shape. Plus the parsers' failure paths.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../../../src/cluster/paths.js';
import { chunkserverSchema, clientSchema, controllerSchema } from '../../../src/common/config.js';
import { builtImages, composeEnvNames, composeImages, parseDockerfile } from './parse.js';

const root = repoRoot();
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');
const envOf = (schema: Record<string, { env: string }>) => new Set(Object.values(schema).map((s) => s.env));
const daemonEnv = new Set([...envOf(controllerSchema), ...envOf(chunkserverSchema)]);
const allEnv = new Set([...daemonEnv, ...envOf(clientSchema)]);
const dockerfiles = readdirSync(join(root, 'docker')).filter((f) => f.startsWith('Dockerfile')).sort();
const pkgBins = Object.values((JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin);

const test = suite('docker drift');

test('there are Dockerfiles for the controller, the chunkserver and the CLI', () => {
  assert.equal(dockerfiles, ['Dockerfile.chunkserver', 'Dockerfile.cli', 'Dockerfile.controller']);
});

for (const file of dockerfiles) {
  test(`${file}: runs a declared bin/ file, sets only known variables, health-checks /health`, () => {
    const facts = parseDockerfile(read(`docker/${file}`));
    assert.is(facts.command[0], 'node', `${file} runs node: ${JSON.stringify(facts.command)}`);
    // absolute (/app/bin/…) so that `docker run -w DIR` does not move it
    assert.match(facts.command[1]!, /^\/app\//, `${file} runs an absolute path`);
    const bin = facts.command[1]!.replace(/^\/app\//, '');
    assert.ok(pkgBins.includes(bin), `${bin} is in package.json "bin" (${pkgBins.join(', ')})`);
    assert.ok(existsSync(join(root, bin)), `${bin} exists`);
    assert.ok(facts.env.length > 0, 'sets some ENV');
    for (const name of facts.env) assert.ok(allEnv.has(name), `${file}: ENV ${name} is in a schema of src/common/config.ts`);
    assert.ok(facts.healthcheck && /https?:\/\/[^'"]+\/health\b|\+'\/health'/.test(facts.healthcheck), `${file}: HEALTHCHECK targets /health: ${facts.healthcheck}`);
  });
}

test('controller and chunkserver images run as a non-root user; their data volume is /app/data', () => {
  for (const role of ['controller', 'chunkserver']) {
    const text = read(`docker/Dockerfile.${role}`);
    const facts = parseDockerfile(text);
    assert.ok(facts.user && facts.user !== 'root' && facts.user !== '0', `Dockerfile.${role} USER ${facts.user}`);
    assert.match(text, /^VOLUME \/app\/data$/m);
    assert.match(text, /chown node:node \/app\/data/);
  }
});

test('the CLI image opens the prompt without arguments and downloads to /downloads; the daemons start without CLUSTER_SECRET', () => {
  const cli = parseDockerfile(read('docker/Dockerfile.cli'));
  assert.equal(cli.command, ['node', '/app/bin/redcloud.js', 'shell']);
  assert.match(read('docker/Dockerfile.cli'), /REDCLOUD_DOWNLOAD_DIR=\/downloads/);
  for (const role of ['controller', 'chunkserver']) assert.match(read(`docker/Dockerfile.${role}`), /^ENV .*REDCLOUD_ALLOW_DEV_SECRET=1/m);
});

test('build-images.sh builds every Dockerfile, as redcloud-<name>', () => {
  const built = builtImages(read('docker/scripts/build-images.sh'));
  assert.equal(built.map((b) => b.image).sort(), ['redcloud-chunkserver', 'redcloud-cli', 'redcloud-controller']);
  assert.equal(built.map((b) => b.dockerfile.replace(/^docker\//, '')).sort(), dockerfiles);
  for (const b of built) assert.ok(existsSync(join(root, b.dockerfile)), `${b.dockerfile} exists`);
});

for (const file of ['compose.yml', 'stack.yml']) {
  test(`${file}: only images build-images.sh builds, only variables the daemons know`, () => {
    const text = read(`docker/${file}`);
    const built = new Set(builtImages(read('docker/scripts/build-images.sh')).map((b) => b.image));
    const images = composeImages(text);
    assert.ok(images.length > 0, `${file} names images`);
    for (const image of images) assert.ok(built.has(image), `${file}: image ${image} is built by build-images.sh`);
    const names = composeEnvNames(text);
    assert.ok(names.includes('CONTROLLER_DNS'), `${file} sets CONTROLLER_DNS`);
    for (const name of names) assert.ok(daemonEnv.has(name), `${file}: ${name} is in the controller or chunkserver schema`);
  });
}

test('stack.yml: 3 controllers + 5 chunkservers, overlay network, alias controller, quick-start settings', () => {
  const text = read('docker/stack.yml');
  assert.equal([...text.matchAll(/^ {2}(controller\d|chunkserver\d):$/gm)].map((m) => m[1]),
    ['controller1', 'controller2', 'controller3', 'chunkserver1', 'chunkserver2', 'chunkserver3', 'chunkserver4', 'chunkserver5']);
  assert.equal([...text.matchAll(/CONTROLLER_NODE_ID: (\S+)/g)].map((m) => m[1]), ['controller1', 'controller2', 'controller3']);
  assert.equal([...text.matchAll(/CHUNKSERVER_NODE_ID: (\S+)/g)].map((m) => m[1]), [1, 2, 3, 4, 5].map((i) => `chunkserver${i}`));
  assert.is([...text.matchAll(/aliases: \[controller\]/g)].length, 3);
  assert.match(text, /^ {4}driver: overlay$/m);
  assert.equal([...text.matchAll(/- (\w+):\/app\/data$/gm)].map((m) => m[1]),
    ['controller1', 'controller2', 'controller3', 'chunkserver1', 'chunkserver2', 'chunkserver3', 'chunkserver4', 'chunkserver5']);
  const value = (name: string) => new RegExp(`${name}: (\\S+)`).exec(text)?.[1];
  assert.is(controllerSchema.heartbeatTimeoutMs.parse(value('HEARTBEAT_TIMEOUT')!), 30_000);
  assert.is(controllerSchema.repairIntervalMs.parse(value('REPAIR_INTERVAL')!), 60_000);
  assert.is(value('CONTROLLER_DNS'), 'controller');
});

test('parseDockerfile: final stage only, continuation lines, ENV forms, exec-form ENTRYPOINT + CMD', () => {
  const facts = parseDockerfile([
    'FROM node:20 AS build', 'ENV BUILD_ONLY=1', 'ENTRYPOINT ["sh"]',
    'FROM node:20-slim', '# ENV COMMENTED=1', 'ENV A=1 B="two words" \\', '  C=3', 'ENV D 4',
    'HEALTHCHECK --interval=5s \\', '  CMD curl -f http://localhost:8000/health', 'USER node',
    'ENTRYPOINT ["node", "bin/x.js"]', 'CMD ["--flag"]',
  ].join('\n'));
  assert.equal(facts.env, ['A', 'B', 'C', 'D']);
  assert.equal(facts.command, ['node', 'bin/x.js', '--flag']);
  assert.is(facts.healthcheck, '--interval=5s    CMD curl -f http://localhost:8000/health');
  assert.is(facts.user, 'node');
});

test('parseDockerfile: a shell-form ENTRYPOINT is refused (signals would not reach node)', () => {
  assert.throws(() => parseDockerfile('FROM x\nENTRYPOINT node bin/x.js'), /exec-form/);
});

test('builtImages: a script without the build loop is refused; the loop variable is substituted', () => {
  assert.throws(() => builtImages('docker build -t foo .'), /no `for X in/);
  assert.equal(builtImages('for n in a b; do\n  docker build -f "docker/Dockerfile.$n" -t "img-$n:$TAG" .\ndone'),
    [{ dockerfile: 'docker/Dockerfile.a', image: 'img-a' }, { dockerfile: 'docker/Dockerfile.b', image: 'img-b' }]);
});

test('composeImages / composeEnvNames: tags stripped, inline maps, ${…} and comments ignored', () => {
  const yaml = [
    'x: &e', '  CLUSTER_SECRET: ${CLUSTER_SECRET:?set CLUSTER_SECRET}', '# NOT_THIS: 1',
    'services:', '  a:', '    image: "registry:5000/redcloud-controller:1.2"', '    environment: { <<: *e, CONTROLLER_NODE_ID: a }',
    '  b:', '    image: redcloud-cli', '    environment:', '      UNKNOWN_VAR: 1 # TRAILING: no',
  ].join('\n');
  assert.equal(composeImages(yaml), ['registry:5000/redcloud-controller', 'redcloud-cli']);
  assert.equal(composeEnvNames(yaml), ['CLUSTER_SECRET', 'CONTROLLER_NODE_ID', 'UNKNOWN_VAR']);
  assert.not.ok(daemonEnv.has('UNKNOWN_VAR'), 'the drift check would catch it');
});

test.run();
