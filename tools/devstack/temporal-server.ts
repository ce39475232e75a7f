/**
 * Finds or builds the Temporal server (`temporal-server`) and its SQL schema tool (`temporal-sql-tool`) for the local
 * cluster of `npm run cluster` and `npm run test:cluster`, the way `temporal-cli.js` obtains the CLI (both through
 * `go-build.js`): these machines cannot download release binaries, so both are built from the Go module proxy the first
 * time. Part of tools/devstack/, the libraries that bring up the local stack for the entry points in tools/scripts/,
 * the tests and the benchmarks.
 *
 * Order, for each binary: its environment variable (`TEMPORAL_SERVER_PATH`, `TEMPORAL_SQL_TOOL_PATH`) → the name on
 * PATH → the project's cache (`.tools/bin`) → the user's cache (`~/.cache/combine-papay-timeout/temporal-server-…`)
 * → `go install go.temporal.io/server/cmd/server@v1.29.1 go.temporal.io/server/cmd/tools/sql@v1.29.1`. The server
 * module's go.mod has no `replace` directive, so `go install pkg@version` accepts it.
 *
 * The PostgreSQL schemas (`schema/postgresql/v12/{temporal,visibility}`) come from the same module: the build copies
 * them to `.tools/temporal-server-v1.29.1/schema`, so a cached lookup does not depend on the Go module cache;
 * `TEMPORAL_SCHEMA_DIR` (a folder holding `postgresql/v12`) overrides.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from './data-dir';
import { copyExecutable, findGo, goInstall, locateBinary, secondsSince, userCacheDir } from './go-build';

/** The server version built: the server inside the CLI v1.5.1 the project uses. */
const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const SERVER_MODULE = 'go.temporal.io/server';
const PACKAGES = { server: `${SERVER_MODULE}/cmd/server`, sqlTool: `${SERVER_MODULE}/cmd/tools/sql` } as const;
/** What `go install` names each binary (the package's last element) and the name the project gives it. */
const BINARIES = {
  server: { built: 'server', name: 'temporal-server', env: 'TEMPORAL_SERVER_PATH' },
  sqlTool: { built: 'sql', name: 'temporal-sql-tool', env: 'TEMPORAL_SQL_TOOL_PATH' },
} as const;

/** The binaries and schemas a local cluster needs. */
export interface TemporalServerTools {
  /** `temporal-server`. */
  server: string;
  /** `temporal-sql-tool`. */
  sqlTool: string;
  /** Folder holding `temporal/` and `visibility/` (each with `versioned/`) for PostgreSQL 12+. */
  postgresSchemaDir: string;
  /** Where each came from: an environment variable, PATH, the project cache, the user cache, or a build. */
  source: string;
}

const binDir = (): string => path.join(projectRoot(), '.tools', 'bin');
const schemaCopy = (): string =>
  path.join(projectRoot(), '.tools', `temporal-server-${TEMPORAL_SERVER_VERSION}`, 'schema');
const userCache = (): string => userCacheDir(`temporal-server-${TEMPORAL_SERVER_VERSION}`);

/** One binary without building: env, PATH, project cache, user cache (copied into the project cache). */
function locateServerBinary(kind: keyof typeof BINARIES): { path: string; source: string } | undefined {
  const { name, env } = BINARIES[kind];
  return locateBinary({ name, env, projectBinDir: binDir(), userCacheDir: userCache() });
}

/** The PostgreSQL v12 schema folder: TEMPORAL_SCHEMA_DIR, the project's copy, the user cache's copy. */
function locateSchemas(): string | undefined {
  const fromEnv = process.env.TEMPORAL_SCHEMA_DIR?.trim();
  const candidates = [fromEnv, schemaCopy(), path.join(userCache(), 'schema')].filter((d): d is string => !!d);
  for (const dir of candidates) {
    const pg = path.join(dir, 'postgresql', 'v12');
    if (fs.existsSync(path.join(pg, 'temporal', 'versioned')) && fs.existsSync(path.join(pg, 'visibility'))) {
      return pg;
    }
    if (dir === fromEnv) throw new Error(`TEMPORAL_SCHEMA_DIR=${fromEnv} holds no postgresql/v12 schemas`);
  }
  return undefined;
}

/** Returns the server, schema tool and schemas without building anything, or undefined when one is missing. */
function locateTemporalServer(): TemporalServerTools | undefined {
  const server = locateServerBinary('server');
  const sqlTool = locateServerBinary('sqlTool');
  const schemas = locateSchemas();
  if (!server || !sqlTool || !schemas) return undefined;
  const sources = [...new Set([server.source, sqlTool.source])].join(' + ');
  return { server: server.path, sqlTool: sqlTool.path, postgresSchemaDir: schemas, source: sources };
}

/**
 * Makes sure the server, the schema tool and the schemas are available, building them the first time (several
 * minutes, with progress on `log`); a cached lookup takes milliseconds.
 */
export async function ensureTemporalServer(
  options: { log?: (line: string) => void } = {},
): Promise<TemporalServerTools> {
  const found = locateTemporalServer();
  if (found) return found;
  const log = options.log ?? ((line: string) => console.error(line));
  await buildTemporalServer(log);
  const built = locateTemporalServer();
  if (!built) throw new Error('the Temporal server build finished but its binaries or schemas are missing');
  return { ...built, source: 'built' };
}

/** `go install` of both packages into a scratch GOBIN, then renamed into .tools/bin; schemas copied beside. */
async function buildTemporalServer(log: (line: string) => void): Promise<void> {
  const go = findGo();
  if (!go) {
    throw new Error(
      'No temporal-server found and no Go toolchain to build one.\n' +
        '  Install Go >= 1.25 (https://go.dev/doc/install) and run again, or point TEMPORAL_SERVER_PATH and\n' +
        "  TEMPORAL_SQL_TOOL_PATH at existing binaries (and TEMPORAL_SCHEMA_DIR at the server's schema/ folder).",
    );
  }
  // The scratch GOBIN sits beside .tools/bin (one filesystem, so the binaries can be renamed into it); a fresh clone,
  // or one whose CLI comes from TEMPORAL_CLI_PATH, has no .tools/ yet.
  fs.mkdirSync(binDir(), { recursive: true });
  const scratch = fs.mkdtempSync(path.join(path.dirname(binDir()), 'server-build-'));
  const targets = [PACKAGES.server, PACKAGES.sqlTool].map((p) => `${p}@${TEMPORAL_SERVER_VERSION}`);
  log(`Building the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool from the Go module proxy`);
  log(`  (${go} install ${targets.join(' ')}); once per machine, several minutes; later runs reuse the binaries.`);
  const started = Date.now();
  try {
    await goInstall({ go, targets, gobin: scratch, ldflags: '-s -w', what: 'the Temporal server', log, started });
    for (const kind of ['server', 'sqlTool'] as const) {
      const { built, name } = BINARIES[kind];
      fs.renameSync(path.join(scratch, built), path.join(binDir(), name));
    }
    copySchemas(go);
    saveToUserCache();
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  log(`Built the Temporal server in ${secondsSince(started)}s: ${binDir()}`);
}

/** Copies `schema/postgresql/v12` out of the (read-only) module cache, making the copy writable. */
function copySchemas(go: string): void {
  const out = spawnSync(go, ['mod', 'download', '-json', `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`], {
    encoding: 'utf8',
    cwd: os.tmpdir(),
  });
  const dir = (JSON.parse(out.stdout || '{}') as { Dir?: string }).Dir;
  if (!dir)
    throw new Error(`go mod download could not locate ${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}: ${out.stderr}`);
  const target = path.join(schemaCopy(), 'postgresql', 'v12');
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(path.join(dir, 'schema', 'postgresql', 'v12'), target, { recursive: true });
  makeWritable(schemaCopy());
}

function makeWritable(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    fs.chmodSync(full, entry.isDirectory() ? 0o755 : 0o644);
    if (entry.isDirectory()) makeWritable(full);
  }
}

/** Copies the binaries and schemas to the user cache so that other clones skip the build (best effort). */
function saveToUserCache(): void {
  try {
    fs.mkdirSync(userCache(), { recursive: true });
    for (const { name } of Object.values(BINARIES)) copyExecutable(path.join(binDir(), name), userCache(), name);
    fs.cpSync(schemaCopy(), path.join(userCache(), 'schema'), { recursive: true });
  } catch {
    // Only a time saver for other clones; the project's copy is what counts.
  }
}
