/**
 * The time-skipping test server for workflow tests where waiting is the point. `@temporalio/testing` downloads it from
 * temporal.download (the Java SDK's GraalVM native build), which these machines cannot reach; Maven Central can be
 * reached, and publishes the same server as `io.temporal:temporal-test-server` (a plain jar, main class
 * `io.temporal.testserver.TestServer <port>`). So it is run on the JDK: Maven copies the jar and its dependencies into
 * `.tools/temporal-test-server-<version>/lib`, and a two-line launcher beside it is what the SDK's `existing-path`
 * option starts.
 *
 * Order: $TEMPORAL_TEST_SERVER_PATH → the project's cache → `mvn dependency:copy-dependencies` (a JDK 17+ and Maven;
 * a few seconds with a warm ~/.m2, about 40 MB otherwise).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The Java SDK release whose test server is used. */
const TEST_SERVER_VERSION = '1.38.0';

const ROOT = path.resolve(__dirname, '..', '..');
const DIR = path.join(ROOT, '.tools', `temporal-test-server-${TEST_SERVER_VERSION}`);
const LAUNCHER = path.join(DIR, 'temporal-test-server');

/** The launcher's path if the server is already there (or given), without fetching anything. */
function locateTestServer(): string | undefined {
  const given = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (given) return given;
  return fs.existsSync(LAUNCHER) ? LAUNCHER : undefined;
}

/** Whether the server can be had: already there, or a JDK and Maven to fetch it. */
export function testServerAvailable(): boolean {
  const runs = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 }).status === 0;
  return runs('java', ['-version']) && (locateTestServer() !== undefined || runs('mvn', ['-v']));
}

/** The launcher's path, fetching the jars with Maven first when needed. */
export function ensureTestServer(): string {
  const found = locateTestServer();
  if (found) return found;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-test-server-'));
  try {
    fs.writeFileSync(path.join(scratch, 'pom.xml'), pom());
    const lib = path.join(scratch, 'lib');
    const mvn = spawnSync('mvn', ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`], {
      cwd: scratch,
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (mvn.status !== 0) throw new Error(`mvn could not fetch the test server: ${mvn.stdout}${mvn.stderr}`);
    fs.mkdirSync(path.dirname(DIR), { recursive: true });
    fs.rmSync(DIR, { recursive: true, force: true });
    fs.mkdirSync(DIR);
    fs.renameSync(lib, path.join(DIR, 'lib'));
    // exec: the SDK stops the server by killing the process it started.
    const script = '#!/bin/sh\nexec java -cp "$(dirname "$0")/lib/*" io.temporal.testserver.TestServer "$@"\n';
    fs.writeFileSync(LAUNCHER, script, { mode: 0o755 });
    return LAUNCHER;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function pom(): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>temporal-test-server-fetch</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEST_SERVER_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;
}
