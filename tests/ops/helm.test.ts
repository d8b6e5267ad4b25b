// The Helm chart, rendered by Helm itself and read back as Kubernetes objects: valid for a current
// Kubernetes, every role present, probes on the endpoints Parley serves, ports and drain timing
// taken from the same settings the code reads, and bad values refused at install.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeSettings, type SettingDoc } from '@parley/config';
import { parse as parseYaml } from 'yaml';
import { CHART, find, helm, type K8sObject, ofKind, ROOT, render, rendered } from './chart.ts';
import { schemaErrors, unknownFieldErrors } from './k8s-schema.ts';

const DEFAULT_ROLES = ['edge', 'session', 'presence', 'admin'];
/** Every option switched on, so that every template renders at least once. */
const EVERYTHING: Record<string, string | number | boolean> = {
  'roles.chatroom.enabled': true,
  'roles.s2s.enabled': true,
  'roles.edge.autoscaling.connectionsPerPod': 5000,
  'tls.certManager.enabled': true,
  'tls.certManager.issuerRef.name': 'letsencrypt',
  'backends.tls.secretName': 'backend-ca',
  'backends.tls.natsCaKey': 'ca.crt',
  'backends.tls.redisCaKey': 'ca.crt',
  'backends.tls.databaseCaKey': 'ca.crt',
  'backends.databaseSchema': 'parley',
  'parley.seeOtherHost': 'chat2.example.com:5222',
  'metrics.serviceMonitor.enabled': true,
  'metrics.podMonitor.enabled': true,
  'metrics.prometheusRule.enabled': true,
  'metrics.grafanaDashboard.enabled': true,
  'networkPolicy.backendDestinations[0].namespaceSelector.matchLabels.name': 'messaging',
};

const deployment = (objects: K8sObject[], role: string) => find(objects, 'Deployment', `parley-${role}`);
const podSpec = (objects: K8sObject[], role: string) => deployment(objects, role).spec.template.spec;
const container = (objects: K8sObject[], role: string) => podSpec(objects, role).containers[0];
const configMap = (objects: K8sObject[]) => find(objects, 'ConfigMap', 'parley').data!;
const settings = new Map<string, SettingDoc>(describeSettings().map((s) => [s.env, s]));

test('the default and the everything-enabled renders are valid Kubernetes 1.34 objects with no unknown field', async () => {
  const defaults = rendered();
  const everything = rendered(EVERYTHING);
  const kinds = new Set(everything.map((o) => `${o.apiVersion} ${o.kind}`));
  for (const k of ['cert-manager.io/v1 Certificate', 'monitoring.coreos.com/v1 ServiceMonitor', 'monitoring.coreos.com/v1 PodMonitor', 'monitoring.coreos.com/v1 PrometheusRule', 'autoscaling/v2 HorizontalPodAutoscaler', 'policy/v1 PodDisruptionBudget', 'networking.k8s.io/v1 NetworkPolicy', 'batch/v1 Job']) {
    assert.ok(kinds.has(k), `the full render has a ${k}`);
  }
  const all = [...defaults, ...everything];
  assert.deepEqual(await schemaErrors(all), []);
  assert.deepEqual(unknownFieldErrors(all), []);
});

test('the schema check and the unknown-field check both catch a broken object', async () => {
  const objects = rendered();
  const wrongType = structuredClone(deployment(objects, 'edge'));
  wrongType.spec.template.spec.containers[0].ports[0].containerPort = 'ops';
  assert.match((await schemaErrors([wrongType])).join('\n'), /containerPort must be integer/);
  const misspelt = structuredClone(deployment(objects, 'edge'));
  misspelt.spec.template.spec.containers[0].readinesProbe = misspelt.spec.template.spec.containers[0].readinessProbe;
  assert.deepEqual(await schemaErrors([misspelt]), [], 'the OpenAPI schema lets unknown fields through');
  assert.match(unknownFieldErrors([misspelt]).join('\n'), /Deployment\/parley-edge: .*'"readinesProbe"' does not exist in type 'IContainer'/);
});

test('every role that exists today has its Deployment, and the future ones only when enabled', () => {
  const objects = rendered();
  assert.deepEqual(ofKind(objects, 'Deployment').map((d) => d.metadata.name).sort(), DEFAULT_ROLES.map((r) => `parley-${r}`).sort());
  for (const role of DEFAULT_ROLES) {
    assert.deepEqual(container(objects, role).args, ['start', '--role', role]);
    assert.equal(deployment(objects, role).spec.selector.matchLabels['app.kubernetes.io/component'], role);
  }
  const later = rendered({ 'roles.chatroom.enabled': true, 'roles.s2s.enabled': true });
  assert.deepEqual(container(later, 'chatroom').args, ['start', '--role', 'chatroom']);
  assert.deepEqual(find(later, 'Service', 'parley-s2s').spec.ports, [{ name: 's2s', port: 5269, targetPort: 's2s', protocol: 'TCP' }]);
});

test('every PARLEY_ variable the chart sets is a setting Parley reads, and the ports are its defaults', () => {
  const objects = rendered(EVERYTHING);
  const cm = configMap(objects);
  const envNames = ofKind(objects, 'Deployment').flatMap((d) => (d.spec.template.spec.containers[0].env as { name: string }[]).map((e) => e.name));
  const composed = new Set(['PARLEY_REDIS_PASSWORD', 'PARLEY_DATABASE_PASSWORD']);
  for (const name of [...Object.keys(cm), ...envNames]) {
    if (composed.has(name)) continue;
    assert.ok(settings.has(name), `${name} is not a Parley setting (libs/config)`);
  }
  const values = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
  const def = (env: string) => String(settings.get(env)!.def);
  assert.equal(String(values.ports.c2s), def('PARLEY_C2S_PORT'));
  assert.equal(String(values.ports.c2sTls), def('PARLEY_C2S_TLS_PORT'));
  assert.equal(String(values.ports.http), def('PARLEY_HTTP_PORT'));
  assert.equal(String(values.ports.ops), def('PARLEY_OPS_PORT'));
  assert.equal(String(values.parley.leaseTtlMs), def('PARLEY_LEASE_TTL_MS'));
  assert.equal(String(values.parley.edgeTtlSeconds), def('PARLEY_EDGE_TTL'));
  assert.equal(values.ports.admin, 9090, 'the admin console port of the requirements');
});

test('container ports are the ports the ConfigMap gives Parley, and Services and probes use them by name', () => {
  const objects = rendered({ 'ports.c2s': 15222, 'ports.ops': 19464, 'roles.s2s.enabled': true });
  const cm = configMap(objects);
  assert.equal(cm.PARLEY_C2S_PORT, '15222');
  assert.equal(cm.PARLEY_OPS_PORT, '19464');
  const edgePorts = Object.fromEntries((container(objects, 'edge').ports as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]));
  assert.deepEqual(edgePorts, { ops: 19464, c2s: 15222, 'c2s-tls': Number(cm.PARLEY_C2S_TLS_PORT), http: Number(cm.PARLEY_HTTP_PORT) });
  // The load balancer keeps the standard ports and forwards to the named container ports.
  assert.deepEqual(
    find(objects, 'Service', 'parley-edge').spec.ports.map((p: { port: number; targetPort: string }) => [p.port, p.targetPort]),
    [[5222, 'c2s'], [5223, 'c2s-tls'], [5280, 'http']],
  );
  assert.equal(find(objects, 'Service', 'parley-edge').spec.type, 'LoadBalancer');
  for (const d of ofKind(objects, 'Deployment')) {
    const c = d.spec.template.spec.containers[0];
    const names = new Set((c.ports as { name: string }[]).map((p) => p.name));
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) assert.ok(names.has(c[probe].httpGet.port), `${d.metadata.name} ${probe} port ${c[probe].httpGet.port}`);
  }
  for (const s of ofKind(objects, 'Service')) {
    const role = s.spec.selector['app.kubernetes.io/component'];
    const names = new Set((container(objects, role).ports as { name: string }[]).map((p) => p.name));
    for (const p of s.spec.ports) assert.ok(names.has(p.targetPort), `Service ${s.metadata.name} targets ${p.targetPort}, which ${role} does not expose`);
  }
});

test('probes: startup and liveness on /healthz, readiness on /readyz, all on the ops port', () => {
  const objects = rendered();
  for (const role of DEFAULT_ROLES) {
    const c = container(objects, role);
    assert.deepEqual(c.startupProbe.httpGet, { path: '/healthz', port: 'ops' });
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'ops' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'ops' });
    assert.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 120, 'two minutes to connect and migrate');
  }
});

/** Worst case of the edge's hand-off retries (services/cli/src/cluster.ts: 12 attempts of 2 s, back-off up to max(500, lease/4) ms). */
function handoffBudgetSeconds(leaseTtlMs: number): number {
  const attempts = 12;
  const backoffMs = Math.max(500, leaseTtlMs / 4);
  return Math.ceil((attempts * 2000 + (attempts - 1) * backoffMs) / 1000);
}

test('drain: the grace period covers the preStop sleep and the drain, and the edge drain outlasts its hand-off retries', () => {
  for (const lease of [5000, 20000]) {
    const objects = rendered({ 'parley.leaseTtlMs': lease, 'roles.edge.drain.timeoutSeconds': Math.max(45, handoffBudgetSeconds(lease)) });
    for (const role of DEFAULT_ROLES) {
      const spec = podSpec(objects, role);
      const values = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8')).roles[role].drain;
      const timeout = role === 'edge' ? Math.max(45, handoffBudgetSeconds(lease)) : values.timeoutSeconds;
      const sleep = spec.containers[0].lifecycle?.preStop.exec.command;
      assert.equal(spec.terminationGracePeriodSeconds, values.preStopSleepSeconds + timeout, `${role} grace period`);
      assert.deepEqual(sleep, values.preStopSleepSeconds > 0 ? ['sleep', String(values.preStopSleepSeconds)] : undefined, `${role} preStop`);
    }
    const edge = podSpec(objects, 'edge');
    assert.ok(edge.containers[0].lifecycle.preStop.exec.command[1] >= 1, 'edges leave the load balancer before they drain');
    assert.ok(edge.terminationGracePeriodSeconds - 5 >= handoffBudgetSeconds(lease), `edge drain ${edge.terminationGracePeriodSeconds - 5} s < hand-off budget ${handoffBudgetSeconds(lease)} s`);
  }
  // The shipped default is enough for the default lease.
  const values = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
  assert.ok(values.roles.edge.drain.timeoutSeconds >= handoffBudgetSeconds(values.parley.leaseTtlMs));
  // A rollout never stops an old pod before its replacement is ready.
  assert.deepEqual(deployment(rendered(), 'edge').spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 });
});

test('pods run as a non-root user on a read-only root file system, writing only the data directory and /tmp', () => {
  const objects = rendered();
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const imageUser = /^USER\s+(\d+)/m.exec(dockerfile)?.[1];
  for (const role of DEFAULT_ROLES) {
    const spec = podSpec(objects, role);
    const c = spec.containers[0];
    assert.equal(spec.securityContext.runAsNonRoot, true);
    assert.equal(String(spec.securityContext.runAsUser), imageUser, 'the same uid as the image');
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    assert.deepEqual(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath), [configMap(objects).PARLEY_DATA_DIR, '/tmp']);
    assert.equal(spec.automountServiceAccountToken, false);
  }
});

test('TLS comes from a Secret or a cert-manager Certificate and reaches the edges as PARLEY_TLS_CERT/KEY', () => {
  const fromSecret = rendered({ 'tls.secretName': 'chat-tls' });
  assert.equal(configMap(fromSecret).PARLEY_TLS_CERT, '/etc/parley/tls/tls.crt');
  const vol = podSpec(fromSecret, 'edge').volumes.find((v: { name: string }) => v.name === 'tls');
  assert.equal(vol.secret.secretName, 'chat-tls');
  const managed = rendered({ 'tls.certManager.enabled': true, 'tls.certManager.issuerRef.name': 'letsencrypt' });
  const cert = find(managed, 'Certificate', 'parley');
  assert.deepEqual(cert.spec.dnsNames, ['chat.example.com']);
  assert.equal(podSpec(managed, 'edge').volumes.find((v: { name: string }) => v.name === 'tls').secret.secretName, cert.spec.secretName);
  const none = render({});
  assert.ok(none.ok);
  assert.equal(configMap(none.objects).PARLEY_TLS_CERT, undefined);
  assert.match(none.notes, /self-signed certificate/);
});

test('backend URLs come from the chart Secret, an existing Secret, or the in-cluster charts', () => {
  const own = rendered();
  const secret = find(own, 'Secret', 'parley-backends');
  assert.equal(secret.stringData!.natsUrl, 'nats://parley:secret@nats.messaging:4222');
  type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
  const env = (objects: K8sObject[]): Record<string, EnvVar> => Object.fromEntries((container(objects, 'session').env as EnvVar[]).map((e) => [e.name, e]));
  assert.deepEqual(env(own).PARLEY_DATABASE_URL, { name: 'PARLEY_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'parley-backends', key: 'databaseUrl' } } });
  const existing = rendered({ 'parley.domain': 'chat.example.com', 'backends.existingSecret': 'prod-backends' }, { base: false });
  assert.equal(ofKind(existing, 'Secret').length, 0, 'no Secret of ours, not even the migration hook copy');
  assert.equal(env(existing).PARLEY_REDIS_URL?.valueFrom?.secretKeyRef.name, 'prod-backends');
  assert.equal(find(existing, 'Job', 'parley-migrate').spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'PARLEY_DATABASE_URL').valueFrom.secretKeyRef.name, 'prod-backends');
  const inCluster = rendered({ 'parley.domain': 'chat.example.com', 'nats.enabled': true, 'redis.enabled': true, 'postgresql.enabled': true }, { base: false });
  const e = env(inCluster);
  assert.equal(e.PARLEY_NATS_URL?.value, 'nats://parley-nats:4222');
  assert.equal(e.PARLEY_REDIS_URL?.value, 'redis://:$(PARLEY_REDIS_PASSWORD)@parley-redis-master:6379');
  const names = Object.keys(e);
  assert.ok(names.indexOf('PARLEY_REDIS_PASSWORD') < names.indexOf('PARLEY_REDIS_URL'), 'a $(VAR) reference needs the variable defined first');
  assert.ok(names.indexOf('PARLEY_DATABASE_PASSWORD') < names.indexOf('PARLEY_DATABASE_URL'));
  // The in-cluster Postgres exists only after install: the migration runs post-install there.
  assert.equal(find(inCluster, 'Job', 'parley-migrate').metadata.annotations!['helm.sh/hook'], 'post-install,pre-upgrade');
});

test('the migration Job runs `parley migrate` as a hook before install and upgrade, with its own copy of the URL', () => {
  const objects = rendered();
  const job = find(objects, 'Job', 'parley-migrate');
  const hookSecret = find(objects, 'Secret', 'parley-migrate');
  assert.equal(job.metadata.annotations!['helm.sh/hook'], 'pre-install,pre-upgrade');
  assert.equal(hookSecret.metadata.annotations!['helm.sh/hook'], 'pre-install,pre-upgrade');
  assert.ok(Number(hookSecret.metadata.annotations!['helm.sh/hook-weight']) < Number(job.metadata.annotations!['helm.sh/hook-weight']), 'the Secret exists before the Job');
  const c = job.spec.template.spec.containers[0];
  assert.deepEqual(c.args, ['migrate']);
  assert.equal(c.env.find((e: { name: string }) => e.name === 'PARLEY_DATABASE_URL').valueFrom.secretKeyRef.name, 'parley-migrate');
  assert.equal(hookSecret.stringData!.databaseUrl, 'postgres://parley:secret@pg.db:5432/parley');
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  assert.equal(ofKind(rendered({ 'migration.enabled': false }), 'Job').length, 0);
});

test('autoscaling and disruption budgets: HPAs on CPU (and edge connections), replicas left to the HPA, PDBs per role', () => {
  const objects = rendered({ 'roles.edge.autoscaling.connectionsPerPod': 5000 });
  const edgeHpa = find(objects, 'HorizontalPodAutoscaler', 'parley-edge');
  assert.deepEqual(edgeHpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'parley-edge' });
  assert.deepEqual(
    edgeHpa.spec.metrics.map((m: { type: string }) => m.type),
    ['Resource', 'Pods'],
  );
  assert.equal(edgeHpa.spec.metrics[1].pods.metric.name, 'parley_edge_connections');
  assert.equal(deployment(objects, 'edge').spec.replicas, undefined, 'the HPA owns the replica count');
  assert.equal(deployment(objects, 'admin').spec.replicas, 1);
  assert.deepEqual(ofKind(objects, 'HorizontalPodAutoscaler').map((h) => h.metadata.name).sort(), ['parley-edge', 'parley-presence', 'parley-session']);
  assert.deepEqual(ofKind(objects, 'PodDisruptionBudget').map((h) => h.metadata.name).sort(), ['parley-edge', 'parley-presence', 'parley-session']);
  for (const pdb of ofKind(objects, 'PodDisruptionBudget')) assert.equal(pdb.spec.maxUnavailable, 1);
});

test('network policies: only client, admin and metrics ports are reachable; egress only to DNS and the backends', () => {
  const objects = rendered();
  const policy = (role: string) => find(objects, 'NetworkPolicy', `parley-${role}`).spec;
  const ingressPorts = (role: string) => policy(role).ingress.flatMap((r: { ports: { port: string }[] }) => r.ports.map((p) => p.port)).sort();
  assert.deepEqual(ingressPorts('edge'), ['c2s', 'c2s-tls', 'http', 'ops']);
  assert.deepEqual(ingressPorts('admin'), ['admin', 'ops']);
  assert.deepEqual(ingressPorts('session'), ['ops']);
  assert.deepEqual(ingressPorts('presence'), ['ops']);
  for (const role of DEFAULT_ROLES) {
    assert.deepEqual(policy(role).policyTypes, ['Ingress', 'Egress']);
    const egress = policy(role).egress.flatMap((r: { ports: { port: number }[] }) => r.ports.map((p) => p.port)).sort((a: number, b: number) => a - b);
    assert.deepEqual(egress, [53, 53, 4222, 5432, 6379], `${role} egress`);
  }
  assert.equal(ofKind(rendered({ 'networkPolicy.enabled': false }), 'NetworkPolicy').length, 0);
});

test('the PrometheusRule and the dashboard ConfigMap carry the files under ops/ unchanged', () => {
  const objects = rendered({ 'metrics.prometheusRule.enabled': true, 'metrics.grafanaDashboard.enabled': true });
  const rules = parseYaml(readFileSync(join(ROOT, 'ops', 'prometheus', 'parley-alerts.yml'), 'utf8'));
  assert.deepEqual(find(objects, 'PrometheusRule', 'parley').spec, rules);
  const dashboard = readFileSync(join(ROOT, 'ops', 'grafana', 'parley-dashboard.json'), 'utf8');
  assert.deepEqual(JSON.parse(find(objects, 'ConfigMap', 'parley-dashboard').data!['parley.json']!), JSON.parse(dashboard));
  assert.equal(ofKind(rendered(), 'PrometheusRule').length, 0, 'opt-in');
});

test('bad values fail at install with a message naming the value', () => {
  const cases: Array<[Record<string, string | number | boolean>, RegExp]> = [
    [{ 'parley.domain': 'Not A Domain' }, /parley\.domain: Does not match pattern/],
    [{ 'roles.session.autoscaling.maxReplicas': 65 }, /roles\.session\.autoscaling\.maxReplicas: Must be less than or equal to 64/],
    [{ 'roles.edge.drain.timeoutSeconds': 2 }, /roles\.edge\.drain\.timeoutSeconds: Must be greater than or equal to 10/],
    [{ 'roles.edge.readinesProbe': 'x' }, /roles\.edge: Additional property readinesProbe is not allowed/],
    [{ 'ports.ops': 70000 }, /ports\.ops: Must be less than or equal to 65535/],
    [{ 'parley.logLevel': 'verbose' }, /parley\.logLevel: parley\.logLevel must be one of the following/],
    [{ 'backends.redisUrl': 'http://redis:6379' }, /backends\.redisUrl: Does not match pattern/],
    [{ 'service.edge.type': 'Ingress' }, /service\.edge\.type: service\.edge\.type must be one of the following/],
    [{ 'backends.natsUrl': '' }, /backends\.natsUrl is required/],
    [{ 'nats.enabled': true }, /give either backends\.natsUrl or nats\.enabled=true, not both/],
    [{ 'tls.certManager.enabled': true }, /tls\.certManager\.issuerRef\.name is required/],
    [{ 'tls.certManager.enabled': true, 'tls.certManager.issuerRef.name': 'x', 'tls.secretName': 'y' }, /tls\.secretName and tls\.certManager\.enabled are alternatives/],
  ];
  for (const [values, message] of cases) {
    const r = render(values);
    assert.equal(r.ok, false, `${JSON.stringify(values)} was accepted`);
    if (!r.ok) assert.match(r.error, message, JSON.stringify(values));
  }
  const noDomain = render({ 'parley.domain': '' });
  assert.ok(!noDomain.ok && /parley\.domain/.test(noDomain.error), 'the domain is required');
});

test('helm lint passes on the chart as shipped (its missing dependency charts are only a warning)', () => {
  const r = helm(['lint', CHART, '--set', 'parley.domain=chat.example.com', '--set', 'backends.natsUrl=nats://n:4222', '--set', 'backends.redisUrl=redis://r:6379', '--set', 'backends.databaseUrl=postgres://p/db']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  assert.match(r.stdout, /missing these dependencies: nats,redis,postgresql/);
  const chart = parseYaml(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'));
  assert.deepEqual(
    chart.dependencies.map((d: { name: string; condition: string }) => [d.name, d.condition]),
    [['nats', 'nats.enabled'], ['redis', 'redis.enabled'], ['postgresql', 'postgresql.enabled']],
  );
});

test('the chart README describes every value', () => {
  const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
  const values = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
  const leaves: string[] = [];
  const walk = (o: Record<string, unknown>, path: string) => {
    for (const [k, v] of Object.entries(o)) {
      const p = path ? `${path}.${k}` : k;
      const nested = v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0;
      if (nested && !/(resources|podSecurityContext|securityContext|labels)$/.test(p)) walk(v as Record<string, unknown>, p);
      else leaves.push(p.replace(/^roles\.[a-z0-9]+\./, 'roles.<role>.'));
    }
  };
  walk(values, '');
  // A row may list several keys of one object: `a.b` / `c` / `d` names a.b, a.c and a.d.
  const named = new Set<string>();
  for (const row of readme.split('\n').filter((l) => l.startsWith('| `'))) {
    const keys = [...row.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const first = keys[0]!;
    const prefix = first.includes('.') ? first.slice(0, first.lastIndexOf('.') + 1) : '';
    for (const k of keys) {
      named.add(k);
      if (!k.includes('.') || k.startsWith('.')) named.add(prefix + k.replace(/^\./, ''));
    }
  }
  const undocumented = [...new Set(leaves)].filter((k) => !named.has(k) && !named.has(k.replace(/\.[^.]+$/, '.*')));
  assert.deepEqual(undocumented, []);
});
