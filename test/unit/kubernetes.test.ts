/**
 * The Kubernetes example (`ops/kubernetes/worker.yaml`) agrees with the worker: its variables are the worker's and
 * load into a valid configuration (secret files where its volumes mount them), its ports are the worker's probe and
 * metrics ports, its probe paths are the worker's, its grace period outlasts the worker's shutdown grace, and it
 * runs as the image's user. It is one set of objects per build id (Worker Versioning: a build's pinned orders keep its
 * pods until it is drained), with the order gauges on in exactly one process, hardened (seccomp, no service-account
 * token, a PodDisruptionBudget, a NetworkPolicy), and its secret commands hold every file it mounts. With Go, every
 * document decodes strictly into its Kubernetes API type (ops/kubernetes/check, k8s.io/api).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadWorkerConfig } from '../../worker/config';
import { HEALTH_PATHS } from '../../worker/health';
import { loadOrCreateIdentity } from '../../tools/simulator/keys';
import { describeWith, GO_1_26 } from '../harness/needs';

const ROOT = path.resolve(__dirname, '..', '..');
const MANIFEST = path.join(ROOT, 'ops', 'kubernetes', 'worker.yaml');

type Labels = Record<string, string>;
interface Port {
  name: string;
  containerPort: number;
}
interface Container {
  image: string;
  ports: Port[];
  env?: { name: string; value: string }[];
  envFrom?: { configMapRef: { name: string } }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  startupProbe: { httpGet: { path: string; port: string } };
  volumeMounts: { name: string; mountPath: string; readOnly: boolean }[];
}
interface PodSpec {
  terminationGracePeriodSeconds: number;
  automountServiceAccountToken?: boolean;
  securityContext: { runAsUser: number; runAsNonRoot: boolean; seccompProfile?: { type: string } };
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string } }[];
}
interface Selector {
  matchLabels: Labels;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels };
  data?: Record<string, string>;
  spec: {
    replicas?: number;
    selector?: Selector;
    template?: { metadata: { labels: Labels }; spec: PodSpec };
    maxUnavailable?: number;
    podSelector?: Selector;
    policyTypes?: string[];
    ingress?: { from?: unknown[]; ports: { port: string | number; protocol: string }[] }[];
    egress?: { to: unknown[]; ports: { port: string | number; protocol: string }[] }[];
  };
}

const text = fs.readFileSync(MANIFEST, 'utf8');
const objects = parseAllDocuments(text).map((d) => d.toJS() as K8sObject);
const ofKind = (kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
const deployments = ofKind('Deployment');
const matches = (selector: Selector, labels: Labels): boolean =>
  Object.entries(selector.matchLabels).every(([k, v]) => labels[k] === v);

/** A Deployment's worker container with the environment it gets (its ConfigMaps, then its own env over them). */
function workerOf(deployment: K8sObject): { pod: PodSpec; worker: Container; env: Record<string, string> } {
  const pod = deployment.spec.template!.spec;
  const worker = pod.containers[0]!;
  const env: Record<string, string> = {};
  for (const from of worker.envFrom ?? []) {
    const configMap = ofKind('ConfigMap').find((c) => c.metadata.name === from.configMapRef.name);
    expect({ configMap: from.configMapRef.name, found: Boolean(configMap) }).toEqual({
      configMap: from.configMapRef.name,
      found: true,
    });
    Object.assign(env, configMap!.data);
  }
  for (const e of worker.env ?? []) env[e.name] = e.value;
  return { pod, worker, env };
}
const { pod, worker, env } = workerOf(deployments[0]!);

/** A Deployment's environment with every file it names under a mount written into `dir` (test keys, dummies). */
function envWithFiles(dir: string, of = { worker, env }): Record<string, string> {
  const identity = loadOrCreateIdentity(path.join(process.env.TEST_WORK_DIR ?? os.tmpdir(), 'simulator-keys'));
  const content: Record<string, string> = {
    WECHATPAY_PRIVATE_KEY_PATH: fs.readFileSync(identity.merchantPrivateKeyPath, 'utf8'),
    WECHATPAY_PUBLIC_KEY_PATH: fs.readFileSync(identity.wechatpayPublicKeyPath, 'utf8'),
    // Two Standard Webhooks secrets, as during a rotation.
    COMPENSATION_HMAC_SECRET_PATH: `whsec_${Buffer.from('kubernetes-example-hmac-secret-1').toString('base64')} whsec_${Buffer.from('kubernetes-example-hmac-secret-2').toString('base64')}\n`,
  };
  // The merchant certificate for the manifest's serial and the test merchant key (the worker checks the three agree).
  const cert = path.join(dir, 'apiclient_cert.pem');
  execFileSync('openssl', [
    ...['req', '-new', '-x509', '-key', identity.merchantPrivateKeyPath, '-out', cert, '-days', '30'],
    ...['-set_serial', `0x${of.env.WECHATPAY_MERCHANT_SERIAL}`, '-subj', '/CN=1900000109'],
  ]);
  content.WECHATPAY_MERCHANT_CERT_PATH = fs.readFileSync(cert, 'utf8');
  const out = { ...of.env };
  for (const [name, value] of Object.entries(of.env)) {
    if (!name.endsWith('_PATH')) continue;
    const mount = of.worker.volumeMounts.find((m) => value.startsWith(`${m.mountPath}/`));
    expect({ name, mountedFromVolume: Boolean(mount?.readOnly) }).toEqual({ name, mountedFromVolume: true });
    const file = path.join(dir, value);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content[name] ?? 'PEM');
    out[name] = file;
  }
  return out;
}

/** The files each `kubectl create secret generic <name> --from-file=…` command of the manifest's comments puts in. */
function secretCommands(): Record<string, string[]> {
  const commands = text
    .split('\n')
    .filter((l) => l.startsWith('#'))
    .map((l) => l.replace(/^#\s?/, ''))
    .join('\n')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim().startsWith('kubectl create secret generic '));
  return Object.fromEntries(
    commands.map((c) => [
      c.trim().split(/\s+/)[4]!,
      [...c.matchAll(/--from-file=(?:[^=\s]+=)?(\S+)/g)].map((m) => path.basename(m[1]!)),
    ]),
  );
}

describe('the Kubernetes example', () => {
  it('uses only variables the worker reads, and they load into a valid configuration', () => {
    const sources = ['worker/config.ts', 'worker/env.ts'].map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'));
    const unknown = Object.keys(env).filter(
      (name) => !name.startsWith('TEMPORAL_') && !sources.some((s) => s.includes(`'${name}'`)),
    );
    expect(unknown).toEqual([]);
    for (const deployment of deployments) {
      const of = workerOf(deployment);
      const config = loadWorkerConfig(envWithFiles(fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-')), of));
      expect(config.compensation.webhookSecrets?.map((k) => k.type)).toEqual(['secret', 'secret']);
      expect(config.deployment).toEqual({ name: of.env.WORKER_DEPLOYMENT_NAME, buildId: of.env.WORKER_BUILD_ID });
      expect(config.temporal.connectionOptions.tls).toBeTruthy();
      expect(config.merchantCertificate?.serialNumber).toBe(of.env.WECHATPAY_MERCHANT_SERIAL);
    }
  });

  it("probes the worker's own port and paths, exposes its metrics port", () => {
    const config = loadWorkerConfig(envWithFiles(fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-'))));
    for (const deployment of deployments) {
      const { worker } = workerOf(deployment);
      const port = (name: string): number | undefined => worker.ports.find((p) => p.name === name)?.containerPort;
      expect(port('health')).toBe(config.healthPort);
      expect(port('metrics')).toBe(config.metricsPort);
      expect(worker.livenessProbe.httpGet).toEqual({ path: HEALTH_PATHS.live, port: 'health' });
      expect(worker.startupProbe.httpGet).toEqual({ path: HEALTH_PATHS.live, port: 'health' });
      expect(worker.readinessProbe.httpGet).toEqual({ path: HEALTH_PATHS.ready, port: 'health' });
    }
  });

  it('outlasts the shutdown grace, runs as the image user with seccomp and no token, takes secrets from volumes only', () => {
    const config = loadWorkerConfig(envWithFiles(fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-'))));
    const dockerUser = /^USER (\d+):/m.exec(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(Object.keys(env).filter((n) => /SECRET$|PRIVATE_KEY$|API_KEY$/.test(n))).toEqual([]);
    for (const deployment of deployments) {
      const { pod, worker } = workerOf(deployment);
      expect(pod.terminationGracePeriodSeconds * 1_000).toBeGreaterThan(config.shutdownGraceMs + 5_000);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: Number(dockerUser),
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod).toEqual(expect.objectContaining({ volumes: workerOf(deployments[0]!).pod.volumes }));
      for (const mount of worker.volumeMounts) {
        expect(pod.volumes.find((v) => v.name === mount.name)?.secret?.secretName).toBeTruthy();
      }
    }
  });

  it('the secret commands put in every file the worker is told to read from a Secret', () => {
    const commands = secretCommands();
    const needed: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(env)) {
      if (!name.endsWith('_PATH')) continue;
      const mount = worker.volumeMounts.find((m) => value.startsWith(`${m.mountPath}/`))!;
      const secret = pod.volumes.find((v) => v.name === mount.name)!.secret!.secretName;
      (needed[secret] ??= []).push(path.basename(value));
    }
    expect(Object.keys(needed).sort()).toEqual(Object.keys(commands).sort());
    for (const [secret, files] of Object.entries(needed)) {
      expect({ secret, missing: files.filter((f) => !commands[secret]!.includes(f)) }).toEqual({ secret, missing: [] });
    }
    expect(commands['combine-papay-wechatpay']).toContain('apiclient_cert.pem');
  });

  it('is one set of objects per build id: names, labels, image tag and WORKER_BUILD_ID agree', () => {
    const buildId = env.WORKER_BUILD_ID!;
    const suffix = buildId.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    const perBuild = objects.filter((o) => o.kind !== 'NetworkPolicy');
    expect(perBuild.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      `ConfigMap combine-papay-worker-${suffix}`,
      `Deployment combine-papay-worker-${suffix}`,
      `Deployment combine-papay-worker-${suffix}-gauges`,
      `PodDisruptionBudget combine-papay-worker-${suffix}`,
    ]);
    for (const o of perBuild) expect(o.metadata.labels?.['app.kubernetes.io/version']).toBe(buildId);
    for (const deployment of deployments) {
      const { worker, env: deploymentEnv } = workerOf(deployment);
      expect(deploymentEnv.WORKER_BUILD_ID).toBe(buildId);
      expect(worker.image.split(':').at(-1)).toBe(buildId);
      // The selector holds the build id: one build's Deployment, PDB or Service never takes another build's pods.
      expect(deployment.spec.selector!.matchLabels['app.kubernetes.io/version']).toBe(buildId);
      expect(deployment.spec.selector!.matchLabels).toEqual(deployment.spec.template!.metadata.labels);
    }
    // No two Deployments select each other's pods.
    for (const a of deployments) {
      const others = deployments.filter((b) => b !== a && matches(a.spec.selector!, b.spec.template!.metadata.labels));
      expect({ deployment: a.metadata.name, alsoSelects: others.map((o) => o.metadata.name) }).toEqual({
        deployment: a.metadata.name,
        alsoSelects: [],
      });
    }
  });

  it('turns the order gauges on in exactly one process', () => {
    const exporters = deployments.filter((d) => workerOf(d).env.WORKER_ORDER_GAUGES === 'on');
    expect(exporters.map((d) => d.spec.replicas)).toEqual([1]);
    const config = loadWorkerConfig(
      envWithFiles(fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-')), workerOf(exporters[0]!)),
    );
    expect(config.orderGaugesIntervalMs).toBe(30_000);
    expect(loadWorkerConfig(envWithFiles(fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-')))).orderGaugesIntervalMs).toBe(
      undefined,
    );
  });

  it("keeps a build's pods through node drains one at a time, and fences them in with a NetworkPolicy", () => {
    const [pdb] = ofKind('PodDisruptionBudget');
    expect(pdb!.spec.maxUnavailable).toBe(1);
    expect(deployments.filter((d) => matches(pdb!.spec.selector!, d.spec.template!.metadata.labels))).toHaveLength(
      deployments.length,
    );
    const [policy] = ofKind('NetworkPolicy');
    expect(policy!.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    for (const d of deployments)
      expect(matches(policy!.spec.podSelector!, d.spec.template!.metadata.labels)).toBe(true);
    // In: the probes and the metrics scrape only.
    expect(policy!.spec.ingress!.flatMap((r) => r.ports.map((p) => p.port)).sort()).toEqual(['health', 'metrics']);
    // Out: DNS, the Temporal frontend's port, HTTPS (WeChat Pay; the order service), nothing else.
    const temporalPort = Number(env.TEMPORAL_ADDRESS!.split(':').at(-1));
    const egress = policy!.spec.egress!.flatMap((r) => r.ports.map((p) => `${p.port}/${p.protocol}`));
    expect([...new Set(egress)].sort()).toEqual(['443/TCP', '53/TCP', '53/UDP', `${temporalPort}/TCP`].sort());
    expect(new URL(env.WECHATPAY_BASE_URL!).protocol).toBe('https:');
    expect(new URL(env.COMPENSATION_URL!).port).toBe('');
  });
});

describeWith([GO_1_26])('the Kubernetes example against the Kubernetes API types (k8s.io/api, strict)', () => {
  const CHECK = path.join(ROOT, 'ops', 'kubernetes', 'check');
  /** `go run .` of ops/kubernetes/check on `files`; the module cache and build cache stay between runs. */
  const check = (...files: string[]) =>
    spawnSync('go', ['run', '.', ...files], {
      cwd: CHECK,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
    });

  it('decodes every document into its typed object with unknown fields refused, and passes the API rules', () => {
    const run = check(MANIFEST);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout.trim().split('\n')).toEqual(
      objects.map((o) => `${MANIFEST}: ${o.apiVersion} ${o.kind} ${o.metadata.name}`),
    );
  }, 300_000);

  it('refuses a misspelt field, a value of the wrong type and a selector that misses its template', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-check-'));
    const variant = (name: string, from: string, to: string): string => {
      expect(text).toContain(from);
      const file = path.join(dir, name);
      fs.writeFileSync(file, text.replace(from, to));
      return file;
    };
    const misspelt = check(
      variant('misspelt.yaml', 'seccompProfile: { type: RuntimeDefault }', 'seccompProfile: { typ: RuntimeDefault }'),
    );
    expect(misspelt.status).toBe(1);
    expect(misspelt.stderr).toMatch(
      /document 2 \(apps\/v1 Deployment\): .*unknown field "spec.template.spec.securityContext.seccompProfile.typ"/,
    );
    const wrongType = check(variant('wrong-type.yaml', 'maxUnavailable: 1\n', 'maxUnavailable: [1]\n'));
    expect(wrongType.status).toBe(1);
    expect(wrongType.stderr).toMatch(/document 4 \(policy\/v1 PodDisruptionBudget\): .*maxUnavailable/);
    const selector = check(
      variant(
        'selector.yaml',
        '    matchLabels: *worker\n',
        '    matchLabels: { app.kubernetes.io/name: combine-papay }\n',
      ),
    );
    expect(selector.status).toBe(1);
    expect(selector.stderr).toContain(
      'apps/v1 Deployment combine-papay-worker-1-2-0: spec.selector: app.kubernetes.io/name=combine-papay does not select',
    );
  }, 300_000);
});
