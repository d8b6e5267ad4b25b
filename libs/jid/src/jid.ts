import { prepareDomainpart } from './domain.ts';
import { JidError } from './errors.ts';
import { opaqueString, usernameCaseMapped } from './precis.ts';

const MAX_OCTETS = 1023; // RFC 7622 §3.1: each part 1..1023 octets
// RFC 7622 §3.3.1: code points forbidden in localparts on top of UsernameCaseMapped.
const LOCAL_FORBIDDEN = /["&'/:<>@]/;

function checkLength(s: string, what: string): void {
  if (s.length === 0) throw new JidError(`${what}: empty`);
  if (Buffer.byteLength(s, 'utf8') > MAX_OCTETS) throw new JidError(`${what}: longer than 1023 octets`);
}

export function prepareLocalpart(s: string): string {
  // Reject huge input before doing Unicode work on it; mapping can shrink a string at most ~3x.
  if (s.length > MAX_OCTETS * 4) throw new JidError('localpart: longer than 1023 octets');
  const out = usernameCaseMapped(s, 'localpart');
  if (LOCAL_FORBIDDEN.test(out)) throw new JidError('localpart: forbidden character');
  checkLength(out, 'localpart');
  return out;
}

export function prepareResourcepart(s: string): string {
  if (s.length > MAX_OCTETS * 4) throw new JidError('resourcepart: longer than 1023 octets');
  const out = opaqueString(s, 'resourcepart');
  checkLength(out, 'resourcepart');
  return out;
}

export { prepareDomainpart };

/** An XMPP address (RFC 7622) whose parts are all prepared; construct with parseJid or jid. */
export class Jid {
  readonly local: string | null;
  readonly domain: string;
  readonly resource: string | null;
  #bare: Jid | undefined;

  private constructor(local: string | null, domain: string, resource: string | null) {
    this.local = local;
    this.domain = domain;
    this.resource = resource;
  }

  /** @internal parts must already be prepared */
  static fromPrepared(local: string | null, domain: string, resource: string | null): Jid {
    return new Jid(local, domain, resource);
  }

  get bare(): Jid {
    if (this.resource === null) return this;
    this.#bare ??= new Jid(this.local, this.domain, null);
    return this.#bare;
  }

  isBare(): boolean {
    return this.resource === null;
  }

  withResource(resource: string): Jid {
    return new Jid(this.local, this.domain, prepareResourcepart(resource));
  }

  bareString(): string {
    return this.local === null ? this.domain : `${this.local}@${this.domain}`;
  }

  toString(): string {
    const bare = this.bareString();
    return this.resource === null ? bare : `${bare}/${this.resource}`;
  }

  equals(other: Jid): boolean {
    return this.local === other.local && this.domain === other.domain && this.resource === other.resource;
  }
}

/** RFC 7622 §3.1 parsing: the resource starts at the first '/', then the localpart ends at the first '@'. */
export function parseJid(input: string): Jid {
  if (typeof input !== 'string') throw new JidError('not a string');
  if (input.length > MAX_OCTETS * 12) throw new JidError('address too long');
  let rest = input;
  let resource: string | null = null;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    resource = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  let local: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    local = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  return jid(local, rest, resource);
}

export function tryParseJid(input: string): Jid | null {
  try {
    return parseJid(input);
  } catch (err) {
    if (err instanceof JidError) return null;
    throw err;
  }
}

/** Builds a JID from unprepared parts; null (or undefined) means the part is absent, '' is an error. */
export function jid(local: string | null, domain: string, resource?: string | null): Jid {
  return Jid.fromPrepared(
    local === null || local === undefined ? null : prepareLocalpart(local),
    prepareDomainpart(domain),
    resource === null || resource === undefined ? null : prepareResourcepart(resource),
  );
}
