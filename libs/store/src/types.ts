import type { Sql } from './sql.ts';

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
}

export interface LoginHistoryRepo {
  /** Does nothing for an unknown account. */
  record(username: string, domain: string, rec: Omit<LoginRecord, 'at'> & { at?: Date }): Promise<void>;
  /** Newest first; limit defaults to 20. */
  recent(username: string, domain: string, limit?: number): Promise<LoginRecord[]>;
  /** Whether a successful login from `ip` was recorded before; call it before recording the current login. */
  knownIp(username: string, domain: string, ip: string): Promise<boolean>;
}

export interface Store {
  users: UserRepo;
  roster: RosterRepo;
  offline: OfflineRepo;
  loginHistory: LoginHistoryRepo;
  sql: Sql;
  /** Closes the underlying Sql. */
  close(): Promise<void>;
}
