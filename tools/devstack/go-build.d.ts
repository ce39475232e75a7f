/** Types of `go-build.js`: finding or building the Go binaries of the local stack (the Temporal CLI and server). */

/** Whether `file` is an executable regular file. */
export function isExecutable(file: string): boolean;
/** The first executable called `name` in a folder of PATH. */
export function findOnPath(name: string): string | undefined;
/** The `go` binary (PATH, /usr/local/go, /usr/lib/go), if any. */
export function findGo(): string | undefined;
/** The user's cache folder for one build, shared by every clone: `~/.cache/combine-papay-timeout/<folder>`. */
export function userCacheDir(folder: string): string;
/** Copies an executable into `dir` (created if missing) under `name`; returns the copy's path. */
export function copyExecutable(from: string, dir: string, name: string): string;

/** Where one binary may already be. */
export interface BinaryLookup {
  /** The binary's name on PATH and in both caches. */
  name: string;
  /** The environment variable that names the binary, checked first. */
  env: string;
  /** The project's cache, `.tools/bin`. */
  projectBinDir: string;
  /** The user's cache folder of this build (see {@link userCacheDir}). */
  userCacheDir: string;
}
/**
 * One binary without building: the environment variable, PATH, the project's cache, the user's cache (copied into the
 * project's cache); undefined when none has it.
 */
export function locateBinary(tool: BinaryLookup): { path: string; source: string } | undefined;

/** Seconds since `started` (epoch ms), rounded. */
export function secondsSince(started: number): number;

/** One `go install` run. */
export interface GoInstall {
  /** The `go` binary. */
  go: string;
  /** `package@version` arguments. */
  targets: string[];
  /** Where the binaries go (GOBIN). */
  gobin: string;
  /** `-ldflags` value, e.g. `-s -w`. */
  ldflags: string;
  /** What is being built, for progress and errors, e.g. `the Temporal CLI`. */
  what: string;
  /** Where progress lines go. */
  log: (line: string) => void;
  /** When the build started (epoch ms), for the progress lines. */
  started: number;
}
/** Runs `go install`, with progress every 30 s; rejects with the tail of go's output when it fails. */
export function goInstall(build: GoInstall): Promise<void>;
