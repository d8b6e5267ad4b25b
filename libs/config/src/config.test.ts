import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ConfigError, configSchema, defaultConfig, describeSettings, loadConfig, type SettingKey } from './index.ts';

test('defaults match the documented ports and domain', () => {
  const c = loadConfig({});
  assert.equal(c.domain, 'localhost');
  assert.equal(c.c2sPort, 5222);
  assert.equal(c.c2sTlsPort, 5223);
  assert.equal(c.httpPort, 5280);
  assert.equal(c.requireTls, true);
  assert.ok(c.scramIterations >= 10000);
});

test('environment overrides the YAML file which overrides defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'parley.yaml');
  writeFileSync(file, 'domain: example.org\nc2sPort: 15222\n');
  const c = loadConfig({ PARLEY_CONFIG: file, PARLEY_C2S_PORT: '25222' });
  assert.equal(c.domain, 'example.org');
  assert.equal(c.c2sPort, 25222);
});

test('a wrong setting names the variable', () => {
  assert.throws(() => loadConfig({ PARLEY_C2S_PORT: 'abc' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_C2S_PORT');
  assert.throws(() => loadConfig({ PARLEY_DOMAIN: 'bad domain!' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_DOMAIN');
  assert.throws(() => loadConfig({ PARLEY_TLS_CERT: '/x.pem' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_TLS_KEY');
  assert.throws(() => loadConfig({ PARLEY_LOG_LEVEL: 'loud' }), /PARLEY_LOG_LEVEL/);
  // The federation service's delivery address (libs/subjects s2sEdge) is no process's id.
  assert.throws(() => loadConfig({ PARLEY_EDGE_ID: 's2s_shard_7' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_EDGE_ID');
});

test('an unknown key in the YAML file is refused by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(file, 'c2sprot: 1\n');
  assert.throws(() => loadConfig({ PARLEY_CONFIG: file }), /c2sprot: unknown setting/);
});

test('defaults come from the schema, and the data directory comes back absolute', () => {
  const defaults = defaultConfig();
  assert.deepEqual(loadConfig({}), { ...defaults, dataDir: resolve(defaults.dataDir) });
  assert.deepEqual(defaults, configSchema.parse({}));
});

// One bad value per setting; null marks a setting that takes any text (a file path checked when opened).
const BAD: Record<SettingKey, string | null> = {
  domain: 'bad domain!',
  dataDir: ' ',
  bindAddress: '',
  c2sPort: 'abc',
  c2sTlsPort: '65536',
  httpPort: '-1',
  tlsCert: null,
  tlsKey: null,
  requireTls: 'maybe',
  logLevel: 'loud',
  s2sPolicy: 'dialback',
  s2sPort: '5269x',
  s2sTlsPort: '70000',
  s2sCaFile: null,
  s2sStaticHosts: 'example.org',
  s2sDomainPolicy: 'example.org=pin:AB:CD',
  components: 'maybe',
  componentPort: '5347x',
  componentBindAddress: '',
  componentTls: 'sometimes',
  serverSecret: 'short',
  lookalikePolicy: 'ignore',
  scramIterations: '100',
  maxStanzaBytes: '1.5',
  negotiationTimeoutSec: '0',
  idleTimeoutSec: '5',
  rateBytesPerSec: '10',
  rateBurstBytes: 'lots',
  offlineQuota: '-1',
  archiveDefaultMode: 'sometimes',
  archiveRetentionDays: '-3',
  signinHistoryDays: '0',
  signinHistoryShown: 'all',
  signinAlerts: 'sometimes',
  multiLogin: 'deny',
  sessionIdleTimeoutSec: '-1',
  archiveSweepIntervalSec: '1',
  archivePageSize: '0',
  archiveMaxPageSize: '5000',
  fastTokenLifetimeSec: '10',
  fastMaxClients: '0',
  certAuth: 'sometimes',
  certDays: '0',
  certCaPassphrase: 'short',
  smResumeTimeoutSec: '-3',
  pushIncludeBody: 'sometimes',
  registrationEnabled: 'maybe',
  registrationOpen: 'yes please',
  registrationUserInvites: '2',
  registrationPerAddressPerHour: '0',
  passwordMinLength: '3',
  challengeHoldDays: '0',
  pepMaxItems: '0',
  pepMaxItemBytes: '10',
  pepMaxNodes: 'many',
  limitStanzasPerSec: '0',
  limitAccountStanzasPerSec: 'fast',
  limitConnectionsPerSec: '-2',
  limitUnauthenticated: '0',
  limitExemptAddresses: 'localhost',
  streamHeaderTimeoutSec: '0',
  limitSubscriptionsPerMin: 'x',
  limitRosterWritesPerMin: '0',
  limitOfflinePerSender: '1.5',
  authFailuresBeforeDelay: '0',
  authDelayCapSec: '0',
  authLockAfter: 'never',
  authLockSec: '0',
  authFailureWindowSec: '-1',
  contentMaxBodyChars: '0',
  contentWordFilter: null,
  embeddedDbSharedBuffersMb: '0',
  archiveCommitDelayMs: '101',
  embeddedDbOptimizeWasm: 'sometimes',
  databaseUrl: 'mysql://u:pw@db/parley',
  websocketSecure: 'sometimes',
  mucDomain: 'Conference!',
  mucCreators: 'everyone',
  mucAdmins: 'alice',
  mucMaxRoomsPerUser: '-1',
  mucHistorySize: '1001',
  mucMaxOccupants: '0',
  mucMaxUsersPresence: '-1',
  mucOccupantRate: '0',
  mucRoomRate: 'fast',
  natsUrl: 'nats://a:4222, nats://b:4222',
  natsCaFile: null,
  natsCertFile: null,
  natsKeyFile: null,
  redisUrl: 'http://cache:6379',
  redisCaFile: null,
  redisSentinels: 'sentinel-without-port',
  redisSentinelName: 'has spaces',
  redisCluster: 'node-without-port',
  databaseCaFile: null,
  databaseSchema: 'Parley-Schema',
  opsPort: '99999',
  edgeId: 'edge one',
  edgeTtlSec: '1',
  leaseTtlMs: '100',
  readinessGraceMs: '-5',
  requireInternalTls: 'perhaps',
  seeOtherHost: 'host name:5222',
  clusterName: 'Parley!',
  adminPort: '70000',
  adminBindAddress: null,
  adminTls: 'maybe',
  vcardMaxBytes: '10',
  privateMaxBytes: 'big',
  directoryMaxResults: '0',
  directorySearchesPerMinute: '-2',
  uploadEnabled: 'perhaps',
  uploadMaxFileBytes: '0',
  uploadQuotaBytes: '1.5',
  uploadExpiryHours: '0',
  uploadContentTypes: 'images',
  uploadDir: null,
  uploadPublicUrl: 'ftp://files.example.com',
  uploadActiveTypes: 'html',
  uploadScanCommand: null,
  uploadScanTimeoutSec: '0',
  uploadStore: 'ftp',
  uploadS3Endpoint: 's3.example.com',
  uploadS3Bucket: 'Bad_Bucket',
  uploadS3Region: 'EU West',
  uploadS3AccessKeyId: null,
  uploadS3SecretAccessKey: 'has space',
  uploadS3PathStyle: 'sometimes',
  contactAddresses: 'boss=mailto:x@y',
};

test('every bad value is refused with one line naming its variable', () => {
  const env = (key: SettingKey) => describeSettings().find((s) => s.key === key)?.env ?? '';
  for (const [key, bad] of Object.entries(BAD) as Array<[SettingKey, string | null]>) {
    if (bad === null) continue;
    assert.throws(
      () => loadConfig({ [env(key)]: bad }),
      (e) => e instanceof ConfigError && e.setting === env(key) && e.message.startsWith(`${env(key)}: `) && !e.message.includes('\n'),
      key,
    );
  }
});

test('the bad-value table covers every setting', () => {
  assert.deepEqual(Object.keys(BAD).sort(), Object.keys(defaultConfig()).sort());
});

test('an S3 upload store names the first of its settings that is missing, and the secret key is never repeated', () => {
  const s3 = { PARLEY_UPLOAD_STORE: 's3', PARLEY_UPLOAD_S3_ENDPOINT: 'http://127.0.0.1:9000', PARLEY_UPLOAD_S3_BUCKET: 'files', PARLEY_UPLOAD_S3_ACCESS_KEY_ID: 'id' };
  assert.throws(() => loadConfig(s3), (e) => e instanceof ConfigError && e.setting === 'PARLEY_UPLOAD_S3_SECRET_ACCESS_KEY');
  assert.throws(() => loadConfig({ PARLEY_UPLOAD_STORE: 's3' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_UPLOAD_S3_ENDPOINT');
  assert.throws(() => loadConfig({ PARLEY_UPLOAD_S3_SECRET_ACCESS_KEY: 'top secret' }), (e) => e instanceof ConfigError && !e.message.includes('top secret'));
  assert.equal(loadConfig({ ...s3, PARLEY_UPLOAD_S3_SECRET_ACCESS_KEY: 'k' }).uploadS3PathStyle, false);
});

test('an error about a URL does not repeat it, so a password in it stays off the terminal', () => {
  assert.throws(
    () => loadConfig({ PARLEY_DATABASE_URL: 'postgresql//parley:pg-secret@db/parley' }),
    (e) => e instanceof ConfigError && e.setting === 'PARLEY_DATABASE_URL' && !e.message.includes('pg-secret'),
  );
});

test('a Redis Cluster and Sentinels together are refused, naming the cluster setting', () => {
  assert.throws(
    () => loadConfig({ PARLEY_REDIS_CLUSTER: 'r1:7000,r2:7000', PARLEY_REDIS_SENTINELS: 's1:26379', PARLEY_REDIS_SENTINEL_NAME: 'p' }),
    (e) => e instanceof ConfigError && e.setting === 'PARLEY_REDIS_CLUSTER' && /choose one Redis topology/.test(e.message),
  );
  assert.equal(loadConfig({ PARLEY_REDIS_CLUSTER: 'r1:7000,r2:7001' }).redisCluster, 'r1:7000,r2:7001');
});

test('settings given in pairs name the one missing', () => {
  assert.throws(() => loadConfig({ PARLEY_TLS_KEY: '/k.pem' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_TLS_CERT');
  assert.throws(() => loadConfig({ PARLEY_NATS_CERT_FILE: '/c.pem' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_NATS_KEY_FILE');
  const c = loadConfig({ PARLEY_TLS_CERT: '/c.pem', PARLEY_TLS_KEY: '/k.pem' });
  assert.equal(c.tlsKey, '/k.pem');
});

test('values are read as people write them: spaces trimmed, yes/no, upper-case domains and levels, empty means unset', () => {
  const c = loadConfig({
    PARLEY_C2S_PORT: ' 5333 ',
    PARLEY_REQUIRE_TLS: 'No',
    PARLEY_DOMAIN: 'Example.ORG',
    PARLEY_LOG_LEVEL: 'DEBUG',
    PARLEY_DATABASE_URL: '',
    PARLEY_SEE_OTHER_HOST: '[2001:db8::1]:5222',
  });
  assert.equal(c.c2sPort, 5333);
  assert.equal(c.requireTls, false);
  assert.equal(c.domain, 'example.org');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.databaseUrl, null);
  assert.equal(c.seeOtherHost, '[2001:db8::1]:5222');
});

test('the YAML file takes typed values, `~` for unset, and names the file and key of a bad one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'c2sPort: 15222\nrequireTls: false\nwebsocketSecure: yes\ndatabaseUrl: ~\nedgeId: 42\n');
  const c = loadConfig({ PARLEY_CONFIG: good });
  assert.equal(c.c2sPort, 15222);
  assert.equal(c.requireTls, false);
  assert.equal(c.websocketSecure, true);
  assert.equal(c.databaseUrl, null);
  assert.equal(c.edgeId, '42');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'idleTimeoutSec: 5\n');
  assert.throws(() => loadConfig({ PARLEY_CONFIG: bad }), (e) => e instanceof ConfigError && e.setting === `${bad}: idleTimeoutSec`);
  const list = join(dir, 'list.yaml');
  writeFileSync(list, 'natsUrl: [nats://a:4222]\n');
  assert.throws(() => loadConfig({ PARLEY_CONFIG: list }), /natsUrl: must be a single value/);
  assert.throws(() => loadConfig({ PARLEY_CONFIG: join(dir, 'missing.yaml') }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_CONFIG');
});

test('programmatic overrides win over the environment and are checked the same way', () => {
  assert.equal(loadConfig({ PARLEY_C2S_PORT: '5333' }, { c2sPort: 0 }).c2sPort, 0);
  assert.throws(() => loadConfig({}, { idleTimeoutSec: 1 }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_IDLE_TIMEOUT');
  assert.equal(loadConfig({ PARLEY_DOMAIN: 'example.net' }, { domain: undefined }).domain, 'example.net');
});

test('the admin API listens on 9090 over HTTPS by default, and its settings are checked', () => {
  const c = loadConfig({});
  assert.deepEqual([c.adminPort, c.adminBindAddress, c.adminTls], [9090, null, true]);
  const set = loadConfig({ PARLEY_ADMIN_PORT: '0', PARLEY_ADMIN_BIND_ADDRESS: '127.0.0.1', PARLEY_ADMIN_TLS: 'false' });
  assert.deepEqual([set.adminPort, set.adminBindAddress, set.adminTls], [0, '127.0.0.1', false]);
  assert.throws(() => loadConfig({ PARLEY_ADMIN_PORT: '70000' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_ADMIN_PORT');
  assert.throws(() => loadConfig({ PARLEY_ADMIN_TLS: 'maybe' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_ADMIN_TLS');
});
