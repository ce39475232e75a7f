/**
 * The Kubernetes example (`ops/kubernetes/worker.yaml`) agrees with the worker: its variables are the worker's and
 * load into a valid configuration (secret files where its volumes mount them), its ports are the worker's probe and
 * metrics ports, its probe paths are the worker's, its grace period outlasts the worker's shutdown grace, and it
 * runs as the image's user.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { loadWorkerConfig } from '../../worker/config';
import { HEALTH_PATHS } from '../../worker/health';
import { loadOrCreateIdentity } from '../../simulator/keys';

const ROOT = path.resolve(__dirname, '..', '..');

interface Container {
  ports: { name: string; containerPort: number }[];
  env: { name: string; value: string }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  startupProbe: { httpGet: { path: string; port: string } };
  volumeMounts: { name: string; mountPath: string; readOnly: boolean }[];
}
interface PodSpec {
  terminationGracePeriodSeconds: number;
  securityContext: { runAsUser: number; runAsNonRoot: boolean };
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string } }[];
}

const manifest = parse(fs.readFileSync(path.join(ROOT, 'ops', 'kubernetes', 'worker.yaml'), 'utf8')) as {
  kind: string;
  spec: { template: { spec: PodSpec } };
};
const pod = manifest.spec.template.spec;
const worker = pod.containers[0]!;
const env = Object.fromEntries(worker.env.map((e) => [e.name, e.value]));

/** The manifest's environment with every file it names under a mount written into `dir` (test keys, dummies). */
function envWithFiles(dir: string): Record<string, string> {
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
    ...['-set_serial', `0x${env.WECHATPAY_MERCHANT_SERIAL}`, '-subj', '/CN=1900000109'],
  ]);
  content.WECHATPAY_MERCHANT_CERT_PATH = fs.readFileSync(cert, 'utf8');
  const out = { ...env };
  for (const [name, value] of Object.entries(env)) {
    if (!name.endsWith('_PATH')) continue;
    const mount = worker.volumeMounts.find((m) => value.startsWith(`${m.mountPath}/`));
    expect({ name, mountedFromVolume: Boolean(mount?.readOnly) }).toEqual({ name, mountedFromVolume: true });
    const file = path.join(dir, value);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content[name] ?? 'PEM');
    out[name] = file;
  }
  return out;
}

describe('the Kubernetes example', () => {
  it('uses only variables the worker reads, and they load into a valid configuration', () => {
    const sources = ['worker/config.ts', 'worker/env.ts'].map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'));
    const unknown = Object.keys(env).filter(
      (name) => !name.startsWith('TEMPORAL_') && !sources.some((s) => s.includes(`'${name}'`)),
    );
    expect(unknown).toEqual([]);
    const config = loadWorkerConfig(envWithFiles(fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-'))));
    expect(config.compensation.webhookSecrets?.map((k) => k.type)).toEqual(['secret', 'secret']);
    expect(config.deployment).toEqual({ name: env.WORKER_DEPLOYMENT_NAME, buildId: env.WORKER_BUILD_ID });
    expect(config.temporal.connectionOptions.tls).toBeTruthy();
    expect(config.merchantCertificate?.serialNumber).toBe(env.WECHATPAY_MERCHANT_SERIAL);
  });

  it("probes the worker's own port and paths, exposes its metrics port", () => {
    const config = loadWorkerConfig(envWithFiles(fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-'))));
    const port = (name: string): number | undefined => worker.ports.find((p) => p.name === name)?.containerPort;
    expect(port('health')).toBe(config.healthPort);
    expect(port('metrics')).toBe(config.metricsPort);
    expect(worker.livenessProbe.httpGet).toEqual({ path: HEALTH_PATHS.live, port: 'health' });
    expect(worker.startupProbe.httpGet).toEqual({ path: HEALTH_PATHS.live, port: 'health' });
    expect(worker.readinessProbe.httpGet).toEqual({ path: HEALTH_PATHS.ready, port: 'health' });
  });

  it('outlasts the shutdown grace, runs as the image user, and takes secrets from volumes only', () => {
    const config = loadWorkerConfig(envWithFiles(fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-'))));
    expect(pod.terminationGracePeriodSeconds * 1_000).toBeGreaterThan(config.shutdownGraceMs + 5_000);
    const dockerUser = /^USER (\d+):/m.exec(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(dockerUser) });
    expect(Object.keys(env).filter((n) => /SECRET$|PRIVATE_KEY$|API_KEY$/.test(n))).toEqual([]);
    for (const mount of worker.volumeMounts) {
      expect(pod.volumes.find((v) => v.name === mount.name)?.secret?.secretName).toBeTruthy();
    }
  });
});
