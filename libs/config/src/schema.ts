// Every Parley setting, once: key (YAML), environment variable, kind, default and description. The
// ParleyConfig type, the defaults, the error messages, `parley --help` and the README tables all come
// from here (help.ts, load.ts).
import { z } from 'zod';
import { flag, intIn, matching, oneOf, optionalMatching, optionalText, port, text } from './kinds.ts';

export interface SettingMeta {
  env: `PARLEY_${string}`;
  description: string;
  /** Which README table lists it. */
  group: 'server' | 'cluster';
}
export const settingMeta = z.registry<SettingMeta>();

const server = (env: SettingMeta['env'], description: string): SettingMeta => ({ env, description, group: 'server' });
const cluster = (env: SettingMeta['env'], description: string): SettingMeta => ({ env, description, group: 'cluster' });

// RFC 7622 §3.2: a domainpart is a hostname or IP literal; the check is kept simple and strict.
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const S2S_DOMAIN = '[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?';
const S2S_HOST = `${S2S_DOMAIN}=(tls:)?(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):\\d{1,5}`;
const S2S_DOMAIN_RULE = `${S2S_DOMAIN}=(refuse|pin:[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31})`;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export const settingsShape = {
  domain: matching(DNS_NAME, 'must be a DNS domain name such as example.com', 'domain name', { lowerCase: true })
    .default('localhost')
    .register(settingMeta, server('PARLEY_DOMAIN', 'The XMPP domain served.')),
  dataDir: text('path')
    .default('./data')
    .register(settingMeta, server('PARLEY_DATA_DIR', 'Data directory: embedded database, generated certificate, admin socket.')),
  bindAddress: text('address').default('0.0.0.0').register(settingMeta, server('PARLEY_BIND_ADDRESS', 'Address the listeners bind to.')),
  c2sPort: port().default(5222).register(settingMeta, server('PARLEY_C2S_PORT', 'Client port with STARTTLS (RFC 6120 §5).')),
  c2sTlsPort: port().default(5223).register(settingMeta, server('PARLEY_C2S_TLS_PORT', 'Client port with direct TLS (XEP-0368).')),
  httpPort: port()
    .default(5280)
    .register(settingMeta, server('PARLEY_HTTP_PORT', 'WebSocket (/xmpp-websocket, RFC 7395), /healthz, /readyz and /metrics.')),
  tlsCert: optionalText('path')
    .default(null)
    .register(settingMeta, server('PARLEY_TLS_CERT', 'PEM certificate chain, set together with PARLEY_TLS_KEY; unset: a self-signed one in the data directory.')),
  tlsKey: optionalText('path').default(null).register(settingMeta, server('PARLEY_TLS_KEY', 'PEM private key of PARLEY_TLS_CERT.')),
  requireTls: flag().default(true).register(settingMeta, server('PARLEY_REQUIRE_TLS', 'TLS required before authentication (RFC 6120 §5.3.1).')),
  logLevel: oneOf(LOG_LEVELS).default('info').register(settingMeta, server('PARLEY_LOG_LEVEL', 'Least severe level logged.')),
  scramIterations: intIn(4096, 10_000_000)
    .default(10000)
    .register(settingMeta, server('PARLEY_SCRAM_ITERATIONS', 'PBKDF2 iterations for new SCRAM credentials (RFC 5802 §5.1).')),
  maxStanzaBytes: intIn(10_000, 64 * 1024 * 1024)
    .default(262144)
    .register(settingMeta, server('PARLEY_MAX_STANZA_BYTES', 'Larger stanzas close the stream with policy-violation (RFC 6120 §4.9.3.14).')),
  negotiationTimeoutSec: intIn(1, 3600)
    .default(30)
    .register(settingMeta, server('PARLEY_NEGOTIATION_TIMEOUT', 'Seconds allowed for stream negotiation up to a bound resource.')),
  idleTimeoutSec: intIn(10, 86400)
    .default(600)
    .register(settingMeta, server('PARLEY_IDLE_TIMEOUT', 'Seconds of silence before an authenticated stream is closed (whitespace pings count).')),
  rateBytesPerSec: intIn(1024, 1 << 30)
    .default(256 * 1024)
    .register(settingMeta, server('PARLEY_RATE_BYTES_PER_SEC', 'Per-connection inbound byte rate, bytes per second sustained.')),
  rateBurstBytes: intIn(10_000, 1 << 30)
    .default(1024 * 1024)
    .register(settingMeta, server('PARLEY_RATE_BURST_BYTES', 'Per-connection inbound burst, bytes.')),
  lookalikePolicy: oneOf(['warn', 'decline'] as const)
    .default('warn')
    .register(
      settingMeta,
      server('PARLEY_LOOKALIKE_POLICY', 'A message or subscription request from a look-alike of a contact (UTS #39): warn (deliver marked, notify the user) or decline.'),
    ),
  // XEP-0077 in-band registration (extensions/src/register, docs/security.md).
  registrationEnabled: flag()
    .default(false)
    .register(settingMeta, server('PARLEY_REGISTRATION', 'In-band registration of new accounts (XEP-0077); with an account invitation only unless PARLEY_REGISTRATION_OPEN.')),
  registrationOpen: flag()
    .default(false)
    .register(settingMeta, server('PARLEY_REGISTRATION_OPEN', 'With PARLEY_REGISTRATION: anyone may register, without an invitation.')),
  registrationUserInvites: flag()
    .default(false)
    .register(settingMeta, server('PARLEY_REGISTRATION_USER_INVITES', 'With PARLEY_REGISTRATION: users\' XEP-0401 invitations also let the invitee register an account.')),
  registrationPerAddressPerHour: intIn(1, 1_000_000)
    .default(5)
    .register(settingMeta, server('PARLEY_REGISTRATION_PER_ADDRESS', 'Registration attempts an hour per address (IPv6: per /64), cluster-wide; more get resource-constraint (wait).')),
  passwordMinLength: intIn(6, 128)
    .default(8)
    .register(settingMeta, server('PARLEY_PASSWORD_MIN_LENGTH', 'Shortest password accepted by in-band registration and password change; common passwords are refused at any length.')),
  challengeHoldDays: intIn(1, 365)
    .default(7)
    .register(settingMeta, server('PARLEY_CHALLENGE_HOLD_DAYS', 'Days a contact request held for an unanswered question is kept before it is dropped.')),
  fastTokenLifetimeSec: intIn(300, 365 * 86400)
    .default(14 * 86400)
    .register(settingMeta, server('PARLEY_FAST_TOKEN_LIFETIME', 'Seconds a XEP-0484 FAST token stays valid; it is rotated when used in its second half.')),
  fastMaxClients: intIn(1, 1000)
    .default(20)
    .register(settingMeta, server('PARLEY_FAST_MAX_CLIENTS', 'Clients per account holding FAST tokens; a new one evicts the least recently used.')),
  // Certificate accounts (docs/certificates.md): SASL EXTERNAL on client certificates (XEP-0178, XEP-0257).
  certAuth: flag()
    .default(true)
    .register(settingMeta, server('PARLEY_CERT_AUTH', 'Ask TLS clients for a certificate and offer SASL EXTERNAL for one the server issued or the account registered (XEP-0178).')),
  certDays: intIn(1, 3650)
    .default(365)
    .register(settingMeta, server('PARLEY_CERT_DAYS', 'Days a client certificate issued by the server CA (parley cert issue, a CSR) stays valid.')),
  certCaPassphrase: optionalMatching(/^.{8,}$/, 'must be at least 8 characters', 'passphrase', { secret: true })
    .default(null)
    .register(settingMeta, server('PARLEY_CERT_CA_PASSPHRASE', 'Encrypts the client CA key kept in the database; needed wherever certificates are issued.')),
  // Federation (docs/federation.md): RFC 6120 server-to-server streams, TLS always, certificates checked.
  s2sPolicy: oneOf(['require-valid', 'allow-dialback-over-tls', 'off'] as const)
    .default('require-valid')
    .register(
      settingMeta,
      server(
        'PARLEY_S2S_POLICY',
        'Federation: require-valid (a peer authenticates with SASL EXTERNAL on a certificate that chains to a trusted CA and names its domain), allow-dialback-over-tls (a peer whose certificate does not pass may authenticate with dialback, XEP-0220, but only after TLS), or off (no federation).',
      ),
    ),
  s2sPort: port().default(5269).register(settingMeta, server('PARLEY_S2S_PORT', 'Server-to-server port with STARTTLS, required (RFC 6120 §5).')),
  s2sTlsPort: port().default(5270).register(settingMeta, server('PARLEY_S2S_TLS_PORT', 'Server-to-server port with direct TLS (XEP-0368).')),
  s2sCaFile: optionalText('path')
    .default(null)
    .register(settingMeta, server('PARLEY_S2S_CA_FILE', 'PEM file of CAs trusted for peer servers besides the system store.')),
  s2sStaticHosts: optionalMatching(
    new RegExp(`^${S2S_HOST}(,${S2S_HOST})*$`),
    'use domain=host:port pairs separated by commas (tls:host:port for direct TLS), e.g. example.org=10.0.0.5:5269',
    'domain=host:port,…',
  )
    .default(null)
    .register(settingMeta, server('PARLEY_S2S_STATIC_HOSTS', 'Where to reach peer domains (domain=host:port,…; tls:host:port for direct TLS, XEP-0368), used before DNS SRV (RFC 6120 §3.2).')),
  s2sDomainPolicy: optionalMatching(
    new RegExp(`^${S2S_DOMAIN_RULE}(,${S2S_DOMAIN_RULE})*$`),
    'use domain=refuse or domain=pin:<SHA-256 fingerprint as colon-separated hex>, separated by commas',
    'domain=refuse|pin:AB:CD:…,…',
  )
    .default(null)
    .register(
      settingMeta,
      server('PARLEY_S2S_DOMAIN_POLICY', 'Per-domain federation overrides: refuse a domain, or accept the one certificate whose SHA-256 fingerprint is pinned.'),
    ),
  // External components (XEP-0114, docs/federation.md): gateways and bots with a shared secret (`parley component add`).
  components: flag()
    .default(true)
    .register(settingMeta, server('PARLEY_COMPONENTS', 'Accept external components (XEP-0114) registered with parley component add; off: no component listener.')),
  componentPort: port().default(5347).register(settingMeta, server('PARLEY_COMPONENT_PORT', 'Port for external components (XEP-0114, jabber:component:accept).')),
  componentBindAddress: text('address')
    .default('127.0.0.1')
    .register(
      settingMeta,
      server('PARLEY_COMPONENT_BIND_ADDRESS', 'Listen address for components; without PARLEY_COMPONENT_TLS only loopback peers are accepted whatever the address.'),
    ),
  componentTls: flag()
    .default(false)
    .register(settingMeta, server('PARLEY_COMPONENT_TLS', 'Components connect with direct TLS (the server certificate); then peers from any address are accepted.')),
  serverSecret: optionalMatching(/^\S{32,}$/, 'must be at least 32 characters without spaces', 'secret', { secret: true })
    .default(null)
    .register(
      settingMeta,
      server(
        'PARLEY_SERVER_SECRET',
        'Key that encrypts component secrets in the database and derives dialback keys (XEP-0185); the same on every process of a cluster. Unset: generated in the data directory (server-secret).',
      ),
    ),
  // Abuse limits (docs/security.md): every one is counted in parley_limit_refused_total{limit}.
  limitStanzasPerSec: intIn(1, 1_000_000)
    .default(100)
    .register(settingMeta, server('PARLEY_LIMIT_STANZAS_PER_SEC', 'Stanzas a second one connection may send (burst: 3 s worth); more are refused with policy-violation (wait).')),
  limitAccountStanzasPerSec: intIn(1, 1_000_000)
    .default(200)
    .register(settingMeta, server('PARLEY_LIMIT_ACCOUNT_STANZAS_PER_SEC', 'Stanzas a second one account may send over all its connections (cluster-wide in Redis; burst: 3 s worth).')),
  limitConnectionsPerSec: intIn(1, 1_000_000)
    .default(20)
    .register(settingMeta, server('PARLEY_LIMIT_CONNECTIONS_PER_SEC', 'New connections a second from one IPv4 address or IPv6 /64 (burst: 10 s worth); more get a policy-violation stream error.')),
  limitUnauthenticated: intIn(1, 1_000_000)
    .default(50)
    .register(settingMeta, server('PARLEY_LIMIT_UNAUTHENTICATED', 'Connections not yet authenticated at once from one IPv4 address or IPv6 /64 (slowloris).')),
  limitExemptAddresses: optionalMatching(/^[0-9A-Fa-f:.]+(,[0-9A-Fa-f:.]+)*$/, 'use a comma list of IP addresses', 'IP[,IP…]')
    .default(null)
    .register(settingMeta, server('PARLEY_LIMIT_EXEMPT_ADDRESSES', 'Client addresses the connection limits do not apply to (load generators, a trusted proxy).')),
  streamHeaderTimeoutSec: intIn(1, 3600)
    .default(10)
    .register(settingMeta, server('PARLEY_STREAM_HEADER_TIMEOUT', 'Seconds allowed for the TLS handshake and stream header before the connection is closed (slowloris).')),
  limitSubscriptionsPerMin: intIn(1, 1_000_000)
    .default(60)
    .register(settingMeta, server('PARLEY_LIMIT_SUBSCRIPTIONS_PER_MIN', 'Subscription requests a minute per account; more are refused with policy-violation (wait).')),
  limitRosterWritesPerMin: intIn(1, 1_000_000)
    .default(120)
    .register(settingMeta, server('PARLEY_LIMIT_ROSTER_WRITES_PER_MIN', 'Roster and profile writes (roster, vCard, private XML sets) a minute per account; more get resource-constraint (wait).')),
  limitOfflinePerSender: intIn(1, 1_000_000)
    .default(100)
    .register(settingMeta, server('PARLEY_LIMIT_OFFLINE_PER_SENDER', 'Offline messages one sender may leave one account per hour; more get resource-constraint (wait).')),
  authFailuresBeforeDelay: intIn(1, 1000)
    .default(5)
    .register(settingMeta, server('PARLEY_AUTH_FAILURES_BEFORE_DELAY', 'Failed logins for an account from one address, or from one address, before each answer waits 1 s (doubling).')),
  authDelayCapSec: intIn(1, 3600)
    .default(30)
    .register(settingMeta, server('PARLEY_AUTH_DELAY_CAP', 'Longest wait, seconds, before a login attempt is answered after repeated failures.')),
  authLockAfter: intIn(1, 1_000_000)
    .default(50)
    .register(settingMeta, server('PARLEY_AUTH_LOCK_AFTER', 'Failed logins for one account (from any address) that lock it temporarily.')),
  authLockSec: intIn(1, 604_800)
    .default(900)
    .register(settingMeta, server('PARLEY_AUTH_LOCK_TIME', 'Seconds an account stays locked after too many failed logins (parley user unlock lifts it).')),
  authFailureWindowSec: intIn(1, 604_800)
    .default(900)
    .register(settingMeta, server('PARLEY_AUTH_FAILURE_WINDOW', 'Failed logins are forgotten this many seconds after the last one.')),
  contentMaxBodyChars: intIn(1, 10_000_000)
    .default(10_000)
    .register(settingMeta, server('PARLEY_CONTENT_MAX_BODY', 'Longest message body in characters; longer messages are refused with policy-violation.')),
  signinHistoryDays: intIn(1, 36500)
    .default(90)
    .register(settingMeta, server('PARLEY_SIGNIN_HISTORY_DAYS', 'Days each sign-in (time, address, client, resource, mechanism, outcome) is kept; a periodic sweep deletes older ones.')),
  signinHistoryShown: intIn(1, 1000)
    .default(50)
    .register(settingMeta, server('PARLEY_SIGNIN_HISTORY_SHOWN', 'Most recent sign-ins shown by the sign-in history ad-hoc command and parley user history.')),
  signinAlerts: flag()
    .default(true)
    .register(settingMeta, server('PARLEY_SIGNIN_ALERTS', 'Send a headline "New sign-in from …" when an account signs in from a new address (/24, /48) or client.')),
  multiLogin: oneOf(['allow', 'alert', 'refuse', 'replace'] as const)
    .default('allow')
    .register(settingMeta, server('PARLEY_MULTI_LOGIN', 'A second concurrent session of an account: allow, alert (headline to the others), refuse (resource-constraint) or replace (old ones get conflict); accounts may choose their own.')),
  sessionIdleTimeoutSec: intIn(0, 30 * 86400)
    .default(0)
    .register(settingMeta, server('PARLEY_SESSION_IDLE_TIMEOUT', 'Seconds without a stanza from the client (keepalives and XEP-0198 acks do not count) before a session is closed with connection-timeout; 0 = off; accounts may choose their own.')),
  contentWordFilter: optionalText('word[,word…]')
    .default(null)
    .register(settingMeta, server('PARLEY_CONTENT_WORD_FILTER', 'Comma list of words masked with asterisks in message bodies (unset: no word filter).')),
  offlineQuota: intIn(0, 1_000_000)
    .default(1000)
    .register(settingMeta, server('PARLEY_OFFLINE_QUOTA', 'Offline messages kept per user (XEP-0160).')),
  vcardMaxBytes: intIn(1024, 16 * 1024 * 1024)
    .default(256 * 1024)
    .register(settingMeta, server('PARLEY_VCARD_MAX_BYTES', 'Largest vCard-temp a user may store, bytes (XEP-0054; photos are inside it, base64).')),
  privateMaxBytes: intIn(256, 16 * 1024 * 1024)
    .default(64 * 1024)
    .register(settingMeta, server('PARLEY_PRIVATE_MAX_BYTES', 'Largest private XML fragment per namespace, bytes (XEP-0049).')),
  directoryMaxResults: intIn(1, 1000)
    .default(30)
    .register(settingMeta, server('PARLEY_DIRECTORY_MAX_RESULTS', 'Most entries one user directory search returns (XEP-0055).')),
  directorySearchesPerMinute: intIn(1, 10_000)
    .default(10)
    .register(settingMeta, server('PARLEY_DIRECTORY_SEARCHES_PER_MINUTE', 'User directory searches one account may make per minute.')),
  uploadEnabled: flag().default(false).register(settingMeta, server('PARLEY_UPLOAD_ENABLED', 'HTTP file upload (XEP-0363) on the HTTP port.')),
  uploadMaxFileBytes: intIn(1, 2 ** 40)
    .default(10 * 1024 * 1024)
    .register(settingMeta, server('PARLEY_UPLOAD_MAX_FILE_BYTES', 'Largest file one upload slot may hold, bytes.')),
  uploadQuotaBytes: intIn(1, 2 ** 50)
    .default(100 * 1024 * 1024)
    .register(settingMeta, server('PARLEY_UPLOAD_QUOTA_BYTES', 'Bytes of unexpired uploads one user may hold.')),
  uploadExpiryHours: intIn(1, 24 * 3650)
    .default(24 * 30)
    .register(settingMeta, server('PARLEY_UPLOAD_EXPIRY_HOURS', 'Hours an uploaded file is kept before it is deleted.')),
  uploadContentTypes: optionalMatching(/^[a-z0-9.+-]+\/([a-z0-9.+-]+|\*)(,[a-z0-9.+-]+\/([a-z0-9.+-]+|\*))*$/, 'use a comma list of MIME types such as image/*,application/pdf', 'type/sub[,…]')
    .default(null)
    .register(settingMeta, server('PARLEY_UPLOAD_CONTENT_TYPES', 'Content types a file may be uploaded with (type/* allowed); unset: any.')),
  uploadDir: optionalText('path')
    .default(null)
    .register(settingMeta, server('PARLEY_UPLOAD_DIR', 'Directory of uploaded files (shared by every edge in a cluster); unset: uploads/ in the data directory.')),
  uploadPublicUrl: optionalMatching(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'use an http(s) URL such as https://upload.example.com', 'http(s) URL')
    .default(null)
    .register(settingMeta, server('PARLEY_UPLOAD_PUBLIC_URL', 'Base URL clients reach the HTTP port at for uploads; unset: http://<domain>:<http port>.')),
  uploadActiveTypes: optionalMatching(/^[a-z0-9.+-]+\/[a-z0-9.+-]+(,[a-z0-9.+-]+\/[a-z0-9.+-]+)*$/, 'use a comma list of MIME types such as text/html,image/svg+xml', 'type/sub[,…]')
    .default(null)
    .register(settingMeta, server('PARLEY_UPLOAD_ACTIVE_TYPES', 'Types that can run script in a browser (HTML, SVG, XML, JavaScript) accepted anyway, served only as sandboxed downloads; unset: refused.')),
  uploadScanCommand: optionalText('command [args…]')
    .default(null)
    .register(settingMeta, server('PARLEY_UPLOAD_SCAN_COMMAND', 'Program run on each uploaded file before it is kept, path as last argument, e.g. clamdscan --no-summary; non-zero exit refuses it. Unset: none.')),
  uploadScanTimeoutSec: intIn(1, 3600)
    .default(60)
    .register(settingMeta, server('PARLEY_UPLOAD_SCAN_TIMEOUT_SEC', 'Seconds the upload scanner may take; a scanner that does not answer refuses the file.')),
  uploadStore: oneOf(['disk', 's3'] as const)
    .default('disk')
    .register(settingMeta, server('PARLEY_UPLOAD_STORE', 'Where uploaded files are kept: disk (PARLEY_UPLOAD_DIR) or s3 (an S3-compatible bucket, PARLEY_UPLOAD_S3_*).')),
  uploadS3Endpoint: optionalMatching(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'use an http(s) URL such as https://s3.eu-west-1.amazonaws.com', 'http(s) URL')
    .default(null)
    .register(settingMeta, server('PARLEY_UPLOAD_S3_ENDPOINT', 'Service endpoint of the S3-compatible store.')),
  // The bucket naming rules of S3 (3-63 lower-case letters, digits, dots and hyphens).
  uploadS3Bucket: optionalMatching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'use 3-63 lower-case letters, digits, "." or "-"', 'bucket name')
    .default(null)
    .register(settingMeta, server('PARLEY_UPLOAD_S3_BUCKET', 'Bucket of uploaded files; keep it private, Parley serves the files.')),
  uploadS3Region: matching(/^[a-z0-9-]{1,64}$/, 'use a region name such as us-east-1', 'region')
    .default('us-east-1')
    .register(settingMeta, server('PARLEY_UPLOAD_S3_REGION', 'Region the requests are signed for (AWS Signature V4).')),
  uploadS3AccessKeyId: optionalText('key id')
    .default(null)
    .register(settingMeta, server('PARLEY_UPLOAD_S3_ACCESS_KEY_ID', 'Access key id of the S3-compatible store.')),
  uploadS3SecretAccessKey: optionalMatching(/^\S+$/, 'must be the secret key without spaces', 'secret', { secret: true })
    .default(null)
    .register(settingMeta, server('PARLEY_UPLOAD_S3_SECRET_ACCESS_KEY', 'Secret access key of the S3-compatible store.')),
  uploadS3PathStyle: flag()
    .default(false)
    .register(settingMeta, server('PARLEY_UPLOAD_S3_PATH_STYLE', 'Path-style URLs (endpoint/bucket/key, MinIO and most stand-ins) instead of bucket.endpoint/key.')),
  contactAddresses: optionalMatching(
    /^(abuse|admin|feedback|sales|security|status|support)=\S+( \S+)*(;(abuse|admin|feedback|sales|security|status|support)=\S+( \S+)*)*$/,
    'use kind=uri[ uri…][;kind=…] with kinds abuse, admin, feedback, sales, security, status, support',
    'kind=uri;…',
  )
    .default(null)
    .register(settingMeta, server('PARLEY_CONTACT_ADDRESSES', 'Server contact addresses in disco#info (XEP-0157), e.g. abuse=mailto:abuse@example.com;admin=xmpp:admin@example.com.')),
  archiveDefaultMode: oneOf(['always', 'roster', 'never'] as const)
    .default('always')
    .register(settingMeta, server('PARLEY_ARCHIVE_DEFAULT_MODE', 'Message archive (XEP-0313 §6) for users without preferences: always, roster (contacts only) or never.')),
  archiveRetentionDays: intIn(0, 36500)
    .default(0)
    .register(settingMeta, server('PARLEY_ARCHIVE_RETENTION_DAYS', 'Archived messages older than this are deleted; 0 keeps them forever.')),
  archiveSweepIntervalSec: intIn(10, 86400)
    .default(3600)
    .register(settingMeta, server('PARLEY_ARCHIVE_SWEEP_INTERVAL', 'Seconds between retention sweeps of the message archive.')),
  archivePageSize: intIn(1, 1000)
    .default(50)
    .register(settingMeta, server('PARLEY_ARCHIVE_PAGE_SIZE', 'Archive query page size when the client asks for none (XEP-0059 max).')),
  archiveMaxPageSize: intIn(1, 1000)
    .default(250)
    .register(settingMeta, server('PARLEY_ARCHIVE_MAX_PAGE_SIZE', 'Largest archive query page served; a larger XEP-0059 max is cut to it.')),
  smResumeTimeoutSec: intIn(0, 86_400)
    .default(300)
    .register(settingMeta, server('PARLEY_SM_RESUME_TIMEOUT', 'XEP-0198 resumption window in seconds: how long a lost session waits, queueing, for its client (0 disables resumption).')),
  pushIncludeBody: flag()
    .default(false)
    .register(settingMeta, server('PARLEY_PUSH_INCLUDE_BODY', 'XEP-0357 push: put the message body in the summary sent to app servers (off: count and sender only).')),
  pepMaxItems: intIn(1, 100_000)
    .default(256)
    .register(settingMeta, server('PARLEY_PEP_MAX_ITEMS', "Items a PEP node keeps at most; a node's max_items 'max' means this (XEP-0163, XEP-0060 §7.1.5).")),
  pepMaxItemBytes: intIn(1024, 64 * 1024 * 1024)
    .default(131072)
    .register(settingMeta, server('PARLEY_PEP_MAX_ITEM_BYTES', 'Largest PEP item payload, bytes; larger ones are refused with payload-too-big (XEP-0060 §7.1.3).')),
  pepMaxNodes: intIn(1, 100_000)
    .default(200)
    .register(settingMeta, server('PARLEY_PEP_MAX_NODES', 'PEP nodes per account (XEP-0163).')),
  embeddedDbSharedBuffersMb: intIn(1, 4096)
    .default(4)
    .register(settingMeta, server('PARLEY_EMBEDDED_DB_SHARED_BUFFERS_MB', 'Embedded database (PGlite) buffer pool, MB: most of an idle embedded server’s memory; no effect with PARLEY_DATABASE_URL.')),
  archiveCommitDelayMs: intIn(0, 100)
    .default(0)
    .register(settingMeta, server('PARLEY_ARCHIVE_COMMIT_DELAY_MS', 'Embedded database: how long the first archive write of a quiet moment waits for others to share its statement, ms (0: one event-loop turn); trades that much latency for fewer statements (decision 0037). No effect with PARLEY_DATABASE_URL.')),
  embeddedDbOptimizeWasm: flag()
    .default(false)
    .register(settingMeta, server('PARLEY_EMBEDDED_DB_OPTIMIZE_WASM', 'Let V8 optimise the embedded database’s hot WebAssembly (TurboFan), as it does by default: ~90 MB more memory for no CPU gain measured (decision 0035). Off: PGlite stays on V8’s baseline compiler.')),
  databaseUrl: optionalMatching(/^postgres(ql)?:\/\/\S+$/, 'must be a URL such as postgres://user:pass@host:5432/db', 'postgres:// URL', { secret: true })
    .default(null)
    .register(settingMeta, server('PARLEY_DATABASE_URL', 'Postgres URL (credentials may be in it); unset: the embedded PGlite database in the data directory.')),
  adminPort: port()
    .default(9090)
    .register(settingMeta, server('PARLEY_ADMIN_PORT', 'Admin REST API and web console (embedded mode, and the admin role); 0 = a random free port.')),
  adminBindAddress: optionalText('address')
    .default(null)
    .register(settingMeta, server('PARLEY_ADMIN_BIND_ADDRESS', 'Listen address of the admin API; unset: PARLEY_BIND_ADDRESS.')),
  adminTls: flag()
    .default(true)
    .register(settingMeta, server('PARLEY_ADMIN_TLS', 'Serve the admin API over HTTPS with the server certificate; off only behind a TLS-terminating proxy.')),
  websocketSecure: flag()
    .default(false)
    .register(
      settingMeta,
      server('PARLEY_WEBSOCKET_SECURE', 'WebSocket clients count as secure (a TLS-terminating proxy sits in front of the HTTP port); loopback always does.'),
    ),
  mucDomain: optionalMatching(DNS_NAME, 'must be a DNS domain name such as conference.example.com', 'domain name')
    .default(null)
    .register(settingMeta, server('PARLEY_MUC_DOMAIN', 'Domain of the chatroom service (XEP-0045); unset: conference.<PARLEY_DOMAIN>.')),
  mucCreators: oneOf(['admins', 'local'] as const)
    .default('admins')
    .register(settingMeta, server('PARLEY_MUC_CREATORS', 'Who may create chatrooms over XMPP: admins (PARLEY_MUC_ADMINS and the `parley room` CLI) or every local user.')),
  mucAdmins: optionalMatching(/^[^\s,@/]+@[^\s,@/]+(,[^\s,@/]+@[^\s,@/]+)*$/, 'must be a comma list of bare JIDs such as alice@example.com', 'JID[,JID…]')
    .default(null)
    .register(settingMeta, server('PARLEY_MUC_ADMINS', 'Bare JIDs that administer every chatroom and may always create rooms.')),
  mucMaxRoomsPerUser: intIn(0, 100_000)
    .default(10)
    .register(settingMeta, server('PARLEY_MUC_MAX_ROOMS_PER_USER', 'Rooms one user may own (admins are not limited).')),
  mucHistorySize: intIn(0, 1000)
    .default(20)
    .register(settingMeta, server('PARLEY_MUC_HISTORY_SIZE', 'Messages of a room kept and sent to new occupants (XEP-0045 §7.2.15).')),
  mucMaxOccupants: intIn(1, 100_000)
    .default(1000)
    .register(settingMeta, server('PARLEY_MUC_MAX_OCCUPANTS', 'Upper bound on occupants of a room (rooms may configure fewer).')),
  mucMaxUsersPresence: intIn(0, 100_000)
    .default(1000)
    .register(
      settingMeta,
      server('PARLEY_MUC_MAX_USERS_PRESENCE', 'A room with more occupants than this stops broadcasting occupants\' presence to the others (each still gets its own); as ejabberd\'s max_users_presence.'),
    ),
  mucOccupantRate: intIn(1, 1_000_000)
    .default(120)
    .register(settingMeta, server('PARLEY_MUC_OCCUPANT_RATE', 'Messages per minute one occupant may send to a room (burst of a quarter of it).')),
  mucRoomRate: intIn(1, 10_000_000)
    .default(6000)
    .register(settingMeta, server('PARLEY_MUC_ROOM_RATE', 'Messages per minute a room accepts from all its occupants together.')),
  natsUrl: optionalMatching(/^[^\s,]+(,[^\s,]+)*$/, 'must be a URL such as nats://host:4222, or a comma list of them', 'URL[,URL…]', { secret: true })
    .default(null)
    .register(settingMeta, cluster('PARLEY_NATS_URL', 'Enables cluster mode: NATS URL, credentials may be in it (nats://user:pass@host:4222); a comma list is allowed.')),
  natsCaFile: optionalText('path').default(null).register(settingMeta, cluster('PARLEY_NATS_CA_FILE', 'CA certificate (PEM) for TLS to NATS.')),
  natsCertFile: optionalText('path')
    .default(null)
    .register(settingMeta, cluster('PARLEY_NATS_CERT_FILE', 'Client certificate (PEM) for NATS, set together with PARLEY_NATS_KEY_FILE.')),
  natsKeyFile: optionalText('path').default(null).register(settingMeta, cluster('PARLEY_NATS_KEY_FILE', 'Private key of PARLEY_NATS_CERT_FILE.')),
  redisUrl: optionalMatching(/^rediss?:\/\/\S+$/, 'must be a URL such as redis://host:6379 or rediss://host:6380', 'redis:// URL', { secret: true })
    .default(null)
    .register(settingMeta, cluster('PARLEY_REDIS_URL', 'Redis for the location service and shard leases (rediss:// for TLS; credentials in the URL).')),
  redisCaFile: optionalText('path').default(null).register(settingMeta, cluster('PARLEY_REDIS_CA_FILE', 'CA certificate (PEM) for TLS to Redis.')),
  redisSentinels: optionalMatching(/^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/, 'must be host:port, or a comma list of them', 'host:port[,host:port…]')
    .default(null)
    .register(
      settingMeta,
      cluster('PARLEY_REDIS_SENTINELS', "Redis Sentinels to ask for the primary (failover follows it); PARLEY_REDIS_URL then gives only credentials, database and TLS, not the host."),
    ),
  redisSentinelName: optionalMatching(/^[A-Za-z0-9._-]{1,64}$/, 'use 1-64 letters, digits, ".", "-" or "_"', 'name')
    .default(null)
    .register(settingMeta, cluster('PARLEY_REDIS_SENTINEL_NAME', 'Name of the primary the Sentinels monitor (required with PARLEY_REDIS_SENTINELS).')),
  redisCluster: optionalMatching(/^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/, 'must be host:port, or a comma list of them', 'host:port[,host:port…]')
    .default(null)
    .register(
      settingMeta,
      cluster('PARLEY_REDIS_CLUSTER', 'Seed nodes of a Redis Cluster (the rest are discovered; failover follows the cluster); PARLEY_REDIS_URL then gives only credentials and TLS, not the host.'),
    ),
  databaseCaFile: optionalText('path')
    .default(null)
    .register(settingMeta, cluster('PARLEY_DATABASE_CA_FILE', 'Postgres server CA (PEM) for TLS, with sslmode=require or verify-full in the URL.')),
  databaseSchema: optionalMatching(/^[a-z_][a-z0-9_]{0,62}$/, 'use a lower-case SQL identifier', 'SQL identifier')
    .default(null)
    .register(settingMeta, cluster('PARLEY_DATABASE_SCHEMA', "Postgres schema holding this cluster's tables (created when missing); unset: the search_path's.")),
  opsPort: port()
    .default(9464)
    .register(settingMeta, cluster('PARLEY_OPS_PORT', 'Port of /healthz, /readyz and /metrics in cluster mode (0: a random free port).')),
  // s2s_shard_<n> is the federation service's delivery address (libs/subjects s2sEdge): no process may take it.
  edgeId: optionalMatching(/^(?!s2s_shard_)[A-Za-z0-9_-]{1,64}$/, 'use 1-64 letters, digits, "-" or "_", not starting with s2s_shard_', 'identifier')
    .default(null)
    .register(settingMeta, cluster('PARLEY_EDGE_ID', "This process's id, unique in the cluster; unset: host name and pid.")),
  edgeTtlSec: intIn(2, 600)
    .default(10)
    .register(settingMeta, cluster('PARLEY_EDGE_TTL', 'Seconds after which a silent edge counts as dead and its sessions are removed.')),
  leaseTtlMs: intIn(500, 120_000)
    .default(5000)
    .register(settingMeta, cluster('PARLEY_LEASE_TTL_MS', 'Shard lease time-to-live in milliseconds (the failover time after a crash).')),
  requireInternalTls: flag()
    .default(false)
    .register(
      settingMeta,
      cluster('PARLEY_REQUIRE_INTERNAL_TLS', 'Refuse to start unless NATS, Redis and Postgres are reached over TLS with credentials (on in the Helm chart).'),
    ),
  readinessGraceMs: intIn(0, 600_000)
    .default(3000)
    .register(settingMeta, cluster('PARLEY_READINESS_GRACE_MS', 'A process stays ready this long after NATS, Redis or Postgres stopped answering; longer, /readyz is 503 until it answers again.')),
  // RFC 6120 §4.9.3.19: a hostname or IP address (IPv6 in brackets), with an optional port.
  seeOtherHost: optionalMatching(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'use host:port, e.g. xmpp2.example.com:5222', 'host[:port]')
    .default(null)
    .register(settingMeta, cluster('PARLEY_SEE_OTHER_HOST', 'host:port sent in a see-other-host stream error when this edge drains (RFC 6120 §4.9.3.19).')),
  clusterName: matching(/^[a-z0-9_-]{1,32}$/, 'use 1-32 lower-case letters, digits, "-" or "_"', 'name')
    .default('parley')
    .register(settingMeta, cluster('PARLEY_CLUSTER_NAME', "Namespace for one cluster's NATS subjects and Redis keys (several clusters can share servers).")),
};

export type SettingKey = keyof typeof settingsShape;

/** Settings that only make sense in pairs: the one given names the one missing. */
const PAIRS: Array<[SettingKey, SettingKey]> = [
  ['tlsCert', 'tlsKey'],
  ['natsCertFile', 'natsKeyFile'],
  ['redisSentinels', 'redisSentinelName'],
];

const S3_REQUIRED: SettingKey[] = ['uploadS3Endpoint', 'uploadS3Bucket', 'uploadS3AccessKeyId', 'uploadS3SecretAccessKey'];

export const configSchema = z.object(settingsShape).superRefine((c, ctx) => {
  for (const [a, b] of PAIRS) {
    if ((c[a] === null) === (c[b] === null)) continue;
    const message = `${envOf(a)} and ${envOf(b)} must be set together`;
    ctx.addIssue({ code: 'custom', path: [c[a] === null ? a : b], message });
  }
  // One Redis topology: Sentinel and Cluster exclude each other (decision 0026).
  if (c.redisCluster !== null && c.redisSentinels !== null) {
    ctx.addIssue({ code: 'custom', path: ['redisCluster'], message: 'PARLEY_REDIS_CLUSTER and PARLEY_REDIS_SENTINELS cannot both be set: choose one Redis topology' });
  }
  // An S3 store needs all of where and who; the first missing one is named.
  if (c.uploadStore === 's3') {
    const missing = S3_REQUIRED.find((k) => c[k] === null);
    if (missing) ctx.addIssue({ code: 'custom', path: [missing], message: `${envOf(missing)} is needed when PARLEY_UPLOAD_STORE is s3` });
  }
});

export type ParleyConfig = z.output<typeof configSchema>;

export function metaOf(key: SettingKey): SettingMeta {
  const meta = settingMeta.get(settingsShape[key]);
  if (!meta) throw new Error(`setting ${key} has no description`);
  return meta;
}

export function envOf(key: SettingKey): string {
  return metaOf(key).env;
}

export function isSettingKey(k: string): k is SettingKey {
  return Object.hasOwn(settingsShape, k);
}

/** The chatroom service's domain (XEP-0045): PARLEY_MUC_DOMAIN, or conference.<domain>. */
export function chatroomDomain(c: Pick<ParleyConfig, 'domain' | 'mucDomain'>): string {
  return c.mucDomain ?? `conference.${c.domain}`;
}
