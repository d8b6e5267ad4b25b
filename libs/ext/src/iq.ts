// IQ handlers keyed by type, namespace and element (RFC 6120 §8.2.3): each extension declares the
// request it answers; the table builds the lookup key, nobody edits a switch.
import type { Jid } from '@parley/jid';
import type { ResourcePatch } from '@parley/location';
import { iqResult, type StanzaErrorCondition } from '@parley/stanza';
import type { Element } from '@parley/xml';

/**
 * 'server': IQs to the domain (or domain/resource) and to the sender's own bare JID, which the
 * server answers on the account's behalf (RFC 6121 §8.5.2.1.3); 'account': to another account's bare JID.
 */
export type IqScope = 'server' | 'account';

/**
 * Handlers return what should happen: the result payload, a patch of the sender's own location
 * entry (applied before the result is sent) and work that must follow the result (`after`: pushes,
 * presence that XEP-0191 §3.3 sends after the block is answered); or an error. Durable writes
 * belong in the handler itself, before it returns, never in `after`.
 */
export type IqOutcome =
  | { result: Element[]; ownResource?: ResourcePatch; after?: () => Promise<void> }
  | { error: StanzaErrorCondition; text?: string; appCondition?: Element };

export interface IqRequest {
  domain: string;
  /** The stamped sender. */
  from: Jid;
  /** The addressee: the server's domain, or an account's bare JID. */
  to: Jid;
  /** The single payload child of the IQ. */
  payload: Element;
  iq: Element;
}

export interface IqHandler<Ctx extends IqRequest = IqRequest> {
  scope: IqScope[];
  type: 'get' | 'set';
  /** Payload element name and namespace. */
  name: string;
  xmlns: string;
  handle(ctx: Ctx): IqOutcome | Promise<IqOutcome>;
}

export function iqKey(scope: IqScope, type: string, xmlns: string, name: string): string {
  return `${scope} ${type} {${xmlns}}${name}`;
}

export class IqTable<Ctx extends IqRequest> {
  private readonly handlers = new Map<string, IqHandler<Ctx>>();

  constructor(entries: Array<{ module: string; handler: IqHandler<Ctx> }>) {
    const owners = new Map<string, string>();
    for (const { module, handler } of entries) {
      for (const scope of handler.scope) {
        const key = iqKey(scope, handler.type, handler.xmlns, handler.name);
        const other = owners.get(key);
        if (other) throw new Error(`modules ${other} and ${module} both handle ${key}`);
        owners.set(key, module);
        this.handlers.set(key, handler);
      }
    }
  }

  find(scope: IqScope, type: string, xmlns: string | undefined, name: string): IqHandler<Ctx> | undefined {
    return this.handlers.get(iqKey(scope, type, xmlns ?? '', name));
  }
}

/** How a service carries out an IQ outcome: its answer, its error, its patch of the sender's entry. */
export interface IqIo {
  answer(el: Element): void;
  /** The error reply, with an application-specific condition if given (RFC 6120 §8.3.2). */
  fail(condition: StanzaErrorCondition, text?: string, appCondition?: Element): void;
  patchOwn(patch: ResourcePatch): Promise<unknown>;
}

/**
 * RFC 6120 §8.2.3: answer a get or set (results and errors end here): the handler for its payload,
 * `service-unavailable` when none is loaded (§8.4), `bad-request` without a payload.
 */
export async function dispatchIq<Ctx extends IqRequest>(
  table: IqTable<Ctx>,
  scope: IqScope,
  iq: Element,
  context: (payload: Element) => Ctx,
  io: IqIo,
): Promise<void> {
  const type = iq.attr('type') ?? '';
  if (type !== 'get' && type !== 'set') return;
  const payload = iq.getChildElements()[0];
  if (!payload) {
    io.fail('bad-request');
    return;
  }
  const handler = table.find(scope, type, payload.getNS(), payload.name);
  if (!handler) {
    io.fail('service-unavailable');
    return;
  }
  const outcome = await handler.handle(context(payload));
  if ('error' in outcome) {
    io.fail(outcome.error, outcome.text, outcome.appCondition);
    return;
  }
  if (outcome.ownResource) await io.patchOwn(outcome.ownResource);
  const reply = iqResult(iq, ...outcome.result);
  // A request without `to` was to the server itself: the result carries no `from` (RFC 6120 §8.1.2.1).
  if (iq.attr('to') === undefined) reply.setAttr('from', undefined);
  io.answer(reply);
  await outcome.after?.();
}
