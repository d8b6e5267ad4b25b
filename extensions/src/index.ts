// The extension modules every Parley process loads, in embedded and cluster mode alike.
import { join } from 'node:path';
import type { ParleyConfig } from '@parley/config';
import type { ExtensionModule } from '@parley/ext';
import { adhoc, type CommandRegistry, commandRegistry } from './adhoc/index.ts';
import type { Registry } from 'prom-client';
import { carbons } from './carbons.ts';
import { certificateAccounts } from './certificates/index.ts';
import { challenges } from './challenges/index.ts';
import { clientStateIndication } from './csi.ts';
import { contactAddresses } from './contact-addresses.ts';
import { directory } from './directory/index.ts';
import { contentFilter } from './content-filter/index.ts';
import { subscribers } from './subscribers/index.ts';
import { components } from './components.ts';
import { disco } from './disco.ts';
import { lastActivity } from './last-activity.ts';
import { type ArchiveOptions, messageArchive } from './mam/index.ts';
import { legacySession } from './legacy-session.ts';
import { invitations } from './invitations.ts';
import { type LookalikePolicy, lookalikes } from './lookalikes.ts';
import { muc, type MucModuleOptions } from './muc/index.ts';
import { offline } from './offline.ts';
import { avatarConversion } from './avatar-conversion/index.ts';
import { pep } from './pep/index.ts';
import { offlineLimit } from './offline-limit.ts';
import { ping } from './ping.ts';
import { type PrivateDelegate, privateStorage } from './private-storage.ts';
import { blocking, invisibility, privacyEnforcement, privacyLists } from './privacy/index.ts';
import { push } from './push/index.ts';
import { inBandRegistration, type RegistrationOptions } from './register/index.ts';
import { roster } from './roster/index.ts';
import { signIns } from './signins/index.ts';
import { streamManagement } from './stream-management/index.ts';
import { entityTime } from './time.ts';
import { type S3Settings, upload } from './upload/index.ts';
import { type VcardListener, vcardTemp } from './vcard-temp.ts';
import { version } from './version.ts';

export { avatarConversion, NS_PEP_VCARD_CONVERSION } from './avatar-conversion/index.ts';
export { carbonEligible, carbons } from './carbons.ts';
export { CERT_REQUEST_NODE, certificateAccounts, EXTERNAL, NS_SASLCERT, REVOKED_TEXT } from './certificates/index.ts';
export { CHALLENGE_CLEAR_NODE, CHALLENGE_SET_NODE, challenges, INVITE_NODE, NS_CHALLENGE } from './challenges/index.ts';
export { clientStateIndication, csiHoldKey, NS_CSI } from './csi.ts';
export { contactAddresses, NS_SERVERINFO } from './contact-addresses.ts';
export { contentFilter, filterMessage } from './content-filter/index.ts';
export { components } from './components.ts';
export { disco } from './disco.ts';
export { lastActivity, NS_LAST } from './last-activity.ts';
export { legacySession } from './legacy-session.ts';
export { invitations, NS_PARS } from './invitations.ts';
export { type LookalikePolicy, lookalikes, NS_LOOKALIKE } from './lookalikes.ts';
export { type ArchiveOptions, messageArchive, NS_MAM } from './mam/index.ts';
export { applyRoomSettings, defaultRoomConfig, MUC, muc, type MucModuleOptions, STATUS as MUC_STATUS } from './muc/index.ts';
export { offline } from './offline.ts';
export { BOOKMARKS_CONVERSION_FEATURES, DEFAULT_PEP_LIMITS, PEP_FEATURES, type PepModule, pep } from './pep/index.ts';
export { offlineLimit } from './offline-limit.ts';
export { ping } from './ping.ts';
export { BLOCKLIST_NAME, blocking, invisibility, NS_BLOCKING, NS_INVISIBLE, privacyEnforcement, privacyLists } from './privacy/index.ts';
export { NS_PUSH, push } from './push/index.ts';
export { inBandRegistration, NS_INVITE_FEATURE, NS_REGISTER, NS_REGISTER_FEATURE, passwordProblem, type RegistrationOptions } from './register/index.ts';
export { roster } from './roster/index.ts';
export { addressPrefix, HISTORY_NODE as SIGNIN_HISTORY_NODE, historyCells, isMultiLogin, MULTI_LOGIN, type MultiLogin, parseSettings as parseSignInSettings, SETTINGS_NODE as SIGNIN_SETTINGS_NODE, signIns } from './signins/index.ts';
export { streamManagement } from './stream-management/index.ts';
export { entityTime, NS_TIME } from './time.ts';
export { version } from './version.ts';
export { adhoc, type AdhocCommand, type CommandRegistry, type CommandStep, commandRegistry, dataForm, NS_COMMANDS, NS_DATA, submittedValues } from './adhoc/index.ts';
export { directory, DIRECTORY_EDIT_NODE, NS_SEARCH } from './directory/index.ts';
export { LIST_SUBSCRIBERS_NODE, listSubscribersCommand, subscribers } from './subscribers/index.ts';
export { NS_PRIVATE, type PrivateDelegate, privateStorage } from './private-storage.ts';
export { NS_UPLOAD, type S3Settings, upload, type UploadSettings } from './upload/index.ts';
export { NS_VCARD, NS_VCARD_UPDATE, vcardTemp } from './vcard-temp.ts';

export interface DefaultModuleOptions {
  serverVersion: string;
  offlineQuota: number;
  /** What happens to a stanza from a look-alike of a contact (UTS #39); 'warn' unless set. */
  lookalikePolicy?: LookalikePolicy;
  /** The process's metrics registry, for modules that export metrics. */
  registry?: Registry;
  /** XEP-0313 message archive settings (defaults: always archive, keep forever). */
  archive?: Partial<ArchiveOptions>;
  /** XEP-0198 resumption window (seconds; 0 disables). */
  smResumeSec?: number;
  /** XEP-0357: include message bodies in push summaries. */
  pushIncludeBody?: boolean;
  /** Settings of the profile modules (vCard, private XML, directory, upload); the defaults when absent. */
  profile?: ProfileSettings;
  /** XEP-0163 limits: items per node, bytes per item, nodes per account. */
  pep?: { maxItems: number; maxItemBytes: number; maxNodes: number };
  /** Chatrooms (XEP-0045) on the chatroom service; without it no module provides rooms. */
  muc?: MucModuleOptions;
  /** Abuse limits (docs/security.md); defaults as in the config schema. */
  contentMaxBodyChars?: number;
  contentWords?: string[];
  offlinePerSender?: number;
  /** Sign-in history, alerts and session policies (docs/security.md); the schema's defaults when absent. */
  signIns?: Pick<ParleyConfig, 'domain' | 'signinHistoryDays' | 'signinHistoryShown' | 'signinAlerts' | 'multiLogin' | 'sessionIdleTimeoutSec'>;
  /** XEP-0077 in-band registration; new accounts off when absent (password change and removal are always served). */
  registration?: Omit<RegistrationOptions, 'registry'> & { userInvites: boolean };
  /** Days a contact request held for a question is kept (default 7). */
  challengeHoldDays?: number;
  /** Certificate accounts (docs/certificates.md): EXTERNAL on, certificates for a CSR valid a year, an unencrypted CA key, unless set. */
  certificates?: { enabled: boolean; days: number; passphrase: string | null };
}

export type ProfileSettings = Pick<
  ParleyConfig,
  | 'domain'
  | 'dataDir'
  | 'httpPort'
  | 'vcardMaxBytes'
  | 'privateMaxBytes'
  | 'directoryMaxResults'
  | 'directorySearchesPerMinute'
  | 'uploadEnabled'
  | 'uploadMaxFileBytes'
  | 'uploadQuotaBytes'
  | 'uploadExpiryHours'
  | 'uploadContentTypes'
  | 'uploadDir'
  | 'uploadPublicUrl'
  | 'uploadActiveTypes'
  | 'uploadScanCommand'
  | 'uploadScanTimeoutSec'
  | 'uploadStore'
  | 'uploadS3Endpoint'
  | 'uploadS3Bucket'
  | 'uploadS3Region'
  | 'uploadS3AccessKeyId'
  | 'uploadS3SecretAccessKey'
  | 'uploadS3PathStyle'
  | 'contactAddresses'
>;

/** The S3 settings as the upload module takes them; the config schema made sure they are all there. */
function s3Settings(p: ProfileSettings): S3Settings {
  const need = (v: string | null, env: string) => {
    if (v === null) throw new Error(`${env} is needed when PARLEY_UPLOAD_STORE is s3`);
    return v;
  };
  return {
    endpoint: need(p.uploadS3Endpoint, 'PARLEY_UPLOAD_S3_ENDPOINT'),
    bucket: need(p.uploadS3Bucket, 'PARLEY_UPLOAD_S3_BUCKET'),
    region: p.uploadS3Region,
    accessKeyId: need(p.uploadS3AccessKeyId, 'PARLEY_UPLOAD_S3_ACCESS_KEY_ID'),
    secretAccessKey: need(p.uploadS3SecretAccessKey, 'PARLEY_UPLOAD_S3_SECRET_ACCESS_KEY'),
    pathStyle: p.uploadS3PathStyle,
  };
}

const vcardMaxBytes = (p: ProfileSettings | undefined) => p?.vcardMaxBytes ?? 256 * 1024;

/** The profile modules; the ad-hoc framework with the commands they register. */
function profileModules(p: ProfileSettings | undefined, delegates: { privateXml: PrivateDelegate[]; vcard: VcardListener[] }, commands: CommandRegistry, opts: DefaultModuleOptions): ExtensionModule[] {
  const list: ExtensionModule[] = [
    vcardTemp({ maxBytes: vcardMaxBytes(p), listeners: delegates.vcard }),
    privateStorage({ maxBytes: p?.privateMaxBytes ?? 64 * 1024, delegates: delegates.privateXml }),
    subscribers({ commands }),
    directory({ commands, maxResults: p?.directoryMaxResults ?? 30, searchesPerMinute: p?.directorySearchesPerMinute ?? 10 }),
  ];
  if (p?.uploadEnabled) {
    list.push(
      upload({
        maxFileBytes: p.uploadMaxFileBytes,
        quotaBytes: p.uploadQuotaBytes,
        expiryHours: p.uploadExpiryHours,
        contentTypes: p.uploadContentTypes?.split(',') ?? null,
        dir: p.uploadDir ?? join(p.dataDir, 'uploads'),
        publicUrl: p.uploadPublicUrl ? p.uploadPublicUrl.replace(/\/+$/, '') : (port) => `http://${p.domain}:${port ?? p.httpPort}`,
        s3: p.uploadStore === 's3' ? s3Settings(p) : null,
        rules: {
          activeTypes: p.uploadActiveTypes?.split(',') ?? [],
          words: opts.contentWords ?? [],
          scanCommand: p.uploadScanCommand?.split(/\s+/) ?? null,
          scanTimeoutMs: p.uploadScanTimeoutSec * 1000,
        },
        registry: opts.registry,
      }),
    );
  }
  if (p?.contactAddresses) list.push(contactAddresses(p.contactAddresses));
  // Last: every module above has registered its commands by now.
  list.push(adhoc(commands));
  return list;
}

export function defaultModules(opts: DefaultModuleOptions): ExtensionModule[] {
  const personalEventing = pep({ limits: opts.pep });
  // XEP-0398: the PEP avatar and the vCard photo are kept as one.
  const avatars = avatarConversion({ pep: personalEventing, vcardMaxBytes: vcardMaxBytes(opts.profile) });
  const commands = commandRegistry();
  const filter = { maxBodyChars: opts.contentMaxBodyChars ?? 10_000, words: opts.contentWords ?? [] };
  const archive: ArchiveOptions = { defaultMode: 'always', retentionDays: 0, sweepEveryMs: 3_600_000, defaultPage: 50, maxPage: 250, registry: opts.registry, ...opts.archive };
  return [
    // First: every later module (offline storage, carbons, archives) sees the filtered message.
    contentFilter({ ...filter, registry: opts.registry }),
    disco,
    components,
    ping,
    version({ name: 'Parley', version: opts.serverVersion }),
    entityTime(),
    legacySession,
    roster,
    carbons,
    offlineLimit({ perSenderPerHour: opts.offlinePerSender ?? 100, registry: opts.registry }),
    offline({ quota: opts.offlineQuota }),
    streamManagement({ registry: opts.registry, resumeSec: opts.smResumeSec }),
    inBandRegistration({ newAccounts: 'off', passwordMinLength: 8, perAddressPerHour: 5, scramIterations: 10_000, ...opts.registration, registry: opts.registry }),
    privacyEnforcement,
    blocking,
    privacyLists,
    invisibility,
    // After the privacy modules: a blocked or denied look-alike is dropped before it can cause a notice.
    lookalikes({ policy: opts.lookalikePolicy ?? 'warn' }),
    invitations,
    // After invitations (a valid token makes the requester a contact) and look-alikes (its mark is kept).
    challenges({ commands, accountInvites: opts.registration?.userInvites === true && opts.registration.newAccounts !== 'off', holdMs: (opts.challengeHoldDays ?? 7) * 86_400_000 }),
    lastActivity(),
    messageArchive(archive),
    clientStateIndication({ registry: opts.registry }),
    push({ includeBody: opts.pushIncludeBody, registry: opts.registry }),
    signIns({
      commands,
      domain: opts.signIns?.domain ?? opts.profile?.domain ?? 'localhost',
      historyDays: opts.signIns?.signinHistoryDays ?? 90,
      historyShown: opts.signIns?.signinHistoryShown ?? 50,
      alerts: opts.signIns?.signinAlerts ?? true,
      multiLogin: opts.signIns?.multiLogin ?? 'allow',
      idleTimeoutSec: opts.signIns?.sessionIdleTimeoutSec ?? 0,
      registry: opts.registry,
    }),
    certificateAccounts({ commands, enabled: true, days: 365, passphrase: null, ...opts.certificates }),
    // XEP-0411: private XML get/set of storage:bookmarks go to PEP; XEP-0398: a vCard photo goes to PEP.
    ...profileModules(opts.profile, { privateXml: [personalEventing.privateBookmarks], vcard: [avatars.vcardListener] }, commands, opts),
    personalEventing,
    avatars,
    // Rooms keep archives with the account archive's page sizes (XEP-0313 §5.1.2) and clean groupchat with the content filter's settings.
    ...(opts.muc ? [muc({ archive: { defaultPage: Math.min(archive.defaultPage, archive.maxPage), maxPage: archive.maxPage }, contentFilter: filter, registry: opts.registry, ...opts.muc })] : []),
  ];
}
