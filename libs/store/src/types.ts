import type { ClientCertRepo } from './client-certs.ts';
import type { DirectoryRepo, PrivateStorageRepo, UploadRepo, VcardRepo } from './profile.ts';
import type { PepRepo } from './pep.ts';
import type { MucRepo } from './muc.ts';
import type { Sql } from './sql.ts';
import type { ArchiveRepo } from './archive.ts';
import type { ChallengeRepo } from './challenges.ts';
import type { InvitationRepo } from './invitations.ts';

/** SCRAM salted-password material (RFC 5802 §3), base64 strings. Plaintext passwords are never stored. */
export interface StoredCredential {
  hash: 'SHA-1' | 'SHA-256' | 'SHA-512';
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
  /** Set by the store when the account is locked: authentication must fail as for a wrong password. */
  locked?: boolean;
}

export interface UserSummary {
  username: string;
  createdAt: Date;
  /** A locked account cannot sign in (the admin API's lock/unlock). */
  locked: boolean;
}

export interface UserRepo {
  /** false if the account already exists. */
  create(username: string, domain: string, credentials: StoredCredential[]): Promise<boolean>;
  /** Also removes the account's credentials, roster, offline messages and login history. */
  delete(username: string, domain: string): Promise<boolean>;
  exists(username: string, domain: string): Promise<boolean>;
  /** An existing account whose name is confusable with `username` (same UTS #39 skeleton, another name), or null. */
  lookalikeOf(username: string, domain: string): Promise<string | null>;
  /** Replaces all credentials; false if the account does not exist. */
  setCredentials(username: string, domain: string, credentials: StoredCredential[]): Promise<boolean>;
  getCredential(username: string, domain: string, hash: StoredCredential['hash']): Promise<StoredCredential | null>;
  /** Usernames of `domain` in byte order; `after` pages past a username. */
  list(domain: string, opts?: { limit?: number; after?: string }): Promise<string[]>;
  count(domain?: string): Promise<number>;
  /** false if the account does not exist. */
  setLocked(username: string, domain: string, locked: boolean): Promise<boolean>;
  get(username: string, domain: string): Promise<UserSummary | null>;
  /** Accounts whose username contains `contains` (all when empty), in byte order; limit defaults to 100. */
  find(domain: string, opts?: { contains?: string; limit?: number; after?: string }): Promise<UserSummary[]>;
}

export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface RosterItem {
  /** Bare JID. */
  contact: string;
  name: string | null;
  subscription: Subscription;
  /** Outbound subscription request pending (RFC 6121 §3.1.2). */
  ask: 'subscribe' | null;
  /** Inbound subscription request awaiting the owner's answer. */
  pendingIn: boolean;
  /** Subscription pre-approved (RFC 6121 §3.4). */
  approved: boolean;
  /**
   * Recorded only because of an inbound subscription request; not part of the user's visible
   * roster until the user adds or approves it (RFC 6121 §3.1.3: no push for a pending request).
   */
  hidden?: boolean;
  groups: string[];
}

export interface RosterRepo {
  /** version is 0 for an owner whose roster never changed. */
  get(owner: string): Promise<{ version: number; items: RosterItem[] }>;
  getItem(owner: string, contact: string): Promise<RosterItem | null>;
  /** Returns the new roster version (XEP-0237), strictly increasing per owner. */
  upsert(owner: string, item: RosterItem): Promise<number>;
  /** New version, or null if the contact was not on the roster. */
  remove(owner: string, contact: string): Promise<number | null>;
  /** Contacts with subscription from|both: who receives the owner's presence. */
  subscribers(owner: string): Promise<string[]>;
  /** Contacts with subscription to|both: whose presence the owner receives. */
  subscriptions(owner: string): Promise<string[]>;
}

export interface OfflineMessage {
  id: string;
  owner: string;
  /** Serialized XML of the stanza (messages, and presence subscribe requests awaiting the owner). */
  stanza: string;
  createdAt: Date;
}

export interface OfflineRepo {
  /** maxPerUser defaults to 1000. */
  push(owner: string, stanza: string, opts?: { maxPerUser?: number }): Promise<'stored' | 'quota-exceeded'>;
  /** Returns every stored message in insertion order and deletes them; concurrent callers never both get one. */
  pop(owner: string): Promise<OfflineMessage[]>;
  count(owner: string): Promise<number>;
}

export interface LoginRecord {
  at: Date;
  ip: string;
  client: string | null;
  resource: string | null;
  mechanism: string;
  success: boolean;
  /** Why a sign-in failed or was refused (a SASL condition, a lock, a session policy); null on success. */
  reason: string | null;
}

/** Per-account sign-in policies (null: the server's default). */
export interface SignInSettings {
  multiLogin: 'allow' | 'alert' | 'refuse' | 'replace' | null;
  idleTimeoutSec: number | null;
}

export interface LoginHistoryRepo {
  /**
   * Does nothing for an unknown account. `clientKey` identifies the client software for "new client"
   * alerts (XEP-0388 user-agent id, else its software name).
   */
  record(username: string, domain: string, rec: Omit<LoginRecord, 'at' | 'reason'> & { at?: Date; reason?: string | null; clientKey?: string | null }): Promise<void>;
  /** Newest first; limit defaults to 20. */
  recent(username: string, domain: string, limit?: number): Promise<LoginRecord[]>;
  /** Whether a successful login from `ip` was recorded before; call it before recording the current login. */
  knownIp(username: string, domain: string, ip: string): Promise<boolean>;
  /** The distinct addresses and client keys of the account's recorded successful sign-ins. */
  known(username: string, domain: string): Promise<{ ips: string[]; clientKeys: string[] }>;
  /** Deletes every record older than `before` (retention); returns how many. */
  sweep(before: Date): Promise<number>;
  settings(username: string, domain: string): Promise<SignInSettings>;
  /** Sets the given fields (null: back to the server's default); false for an unknown account. */
  setSettings(username: string, domain: string, patch: Partial<SignInSettings>): Promise<boolean>;
  /** Keeps an alert for the account's next session (at most `keep` per account, the oldest dropped). */
  keepAlert(username: string, domain: string, body: string, keep: number): Promise<void>;
  /** Takes (and deletes) the kept alerts, oldest first. */
  takeAlerts(username: string, domain: string): Promise<string[]>;
}

/** The stanza kinds a privacy list item can name (XEP-0016 §2.1); none named means every stanza. */
export type PrivacyStanza = 'message' | 'iq' | 'presence-in' | 'presence-out';

/** One rule of a privacy list (XEP-0016 §2.1). `type` null is the fall-through item. */
export interface PrivacyItem {
  type: 'jid' | 'group' | 'subscription' | null;
  value: string | null;
  action: 'allow' | 'deny';
  order: number;
  /** [] blocks or allows every stanza, in both directions (XEP-0016 §2.13). */
  stanzas: PrivacyStanza[];
}

export interface PrivacyList {
  name: string;
  /** In ascending order. */
  items: PrivacyItem[];
}

/** Privacy state of one connection (XEP-0016 active list, XEP-0186 invisibility, XEP-0191 interest). */
export interface PrivacySession {
  conn: string;
  /** The connection's full JID. */
  jid: string;
  /** The active list, with its items as stored now; null when none is active. */
  active: PrivacyList | null;
  invisible: boolean;
  /** Bare or full JIDs sent directed presence while invisible (XEP-0186 §3.1.1 rule 2). */
  allowed: string[];
  blocklistInterest: boolean;
}

/** Everything that decides what reaches an account and what leaves it, read in one call. */
export interface PrivacyPolicy {
  /** The default list (XEP-0016 §2.2 rule 2), or null. */
  defaultList: PrivacyList | null;
  /** Per connection; rows of connections that ended may be among them (readers keep live ones). */
  sessions: Map<string, PrivacySession>;
}

export type PrivacySessionPatch = Partial<{ active: string | null; invisible: boolean; allowed: string[]; blocklistInterest: boolean }>;

export interface PrivacyRepo {
  /** Names of the owner's lists (sorted) and of the default one. */
  names(owner: string): Promise<{ lists: string[]; defaultName: string | null }>;
  getList(owner: string, name: string): Promise<PrivacyList | null>;
  /** Creates or replaces a list (XEP-0016 §2.6: the whole list, not a delta). */
  putList(owner: string, list: PrivacyList): Promise<void>;
  /** Removes a list (and the default pointing at it); false when there was none. */
  removeList(owner: string, name: string): Promise<boolean>;
  /** Sets or declines (null) the default list; false when the named list does not exist. */
  setDefault(owner: string, name: string | null): Promise<boolean>;
  /** The policies of several owners in two statements (presence fan-out reads many at once). */
  policies(owners: string[]): Promise<Map<string, PrivacyPolicy>>;
  /** Sets fields of one connection's privacy state, creating it when missing. */
  patchSession(owner: string, session: { conn: string; jid: string }, patch: PrivacySessionPatch): Promise<void>;
  /** The connection ended. */
  dropSession(owner: string, conn: string): Promise<void>;
}

/** XEP-0012 §4: when the account was last seen going offline, with its status text. */
export interface LastActivity {
  at: Date;
  status: string | null;
}

export interface LastActivityRepo {
  get(owner: string): Promise<LastActivity | null>;
  set(owner: string, activity: LastActivity): Promise<void>;
}

/** One XEP-0484 FAST token of a client (identified by its XEP-0388 user-agent id). */
export interface FastToken {
  clientId: string;
  /** XEP-0484 §5: 'new' until first used, then 'current'. */
  slot: 'current' | 'new';
  /** base64 SHA-256 of the token (never the token). */
  hash: string;
  /** The mechanism it was issued for (§3.4: it works with no other). */
  mechanism: string;
  expiresAt: Date;
  /** The highest replay counter accepted for it (§3.4). */
  lastCount: number | null;
  userAgent: string | null;
  createdAt: Date;
}

export interface FastTokenRepo {
  /**
   * Puts a token in the client's 'new' slot (replacing an unused one), then keeps the tokens of at
   * most `maxClients` clients for the account (those used or issued least recently go). false for
   * an unknown account.
   */
  issue(
    username: string,
    domain: string,
    token: { clientId: string; hash: string; mechanism: string; expiresAt: Date; userAgent: string | null },
    maxClients: number,
  ): Promise<boolean>;
  /** The client's tokens, 'new' first, expired ones included; none for a locked account. */
  candidates(username: string, domain: string, clientId: string): Promise<FastToken[]>;
  /**
   * A token was used: refused as 'replayed' when `count` is not above the last accepted one; a
   * 'new' token becomes 'current' and the previous current one is dropped. 'gone' when it is not
   * there any more (revoked, or replaced in between).
   */
  use(username: string, domain: string, clientId: string, hash: string, count: number | null): Promise<'ok' | 'replayed' | 'gone'>;
  /** Drops one token; false when it was not there. */
  remove(username: string, domain: string, clientId: string, hash: string): Promise<boolean>;
  /** The account's tokens, newest first. */
  list(username: string, domain: string): Promise<FastToken[]>;
  /** Drops the account's tokens, or one client's; how many went. */
  revoke(username: string, domain: string, clientId?: string): Promise<number>;
}

/** XEP-0357: an app server (and node) an account enabled push notifications with. */
export interface PushRegistration {
  service: string;
  node: string;
  /** The publish-options data form the client gave (serialized), or null. */
  options: string | null;
}

export interface PushRepo {
  list(owner: string): Promise<PushRegistration[]>;
  enable(owner: string, reg: PushRegistration): Promise<void>;
  /** Without `node`, every node of the app server (XEP-0357 §6); returns how many were removed. */
  disable(owner: string, service: string, node?: string): Promise<number>;
}

export interface Store {
  users: UserRepo;
  roster: RosterRepo;
  offline: OfflineRepo;
  privacy: PrivacyRepo;
  lastActivity: LastActivityRepo;
  loginHistory: LoginHistoryRepo;
  vcards: VcardRepo;
  privateStorage: PrivateStorageRepo;
  directory: DirectoryRepo;
  uploads: UploadRepo;
  archive: ArchiveRepo;
  invitations: InvitationRepo;
  challenges: ChallengeRepo;
  fastTokens: FastTokenRepo;
  push: PushRepo;
  pep: PepRepo;
  muc: MucRepo;
  clientCerts: ClientCertRepo;
  sql: Sql;
  /** Closes the underlying Sql. */
  close(): Promise<void>;
}
