// The operations of an account's pubsub service (XEP-0163 on XEP-0060): what the owner may do
// (publish, retract, create, configure, delete, purge, affiliations) and what anyone the access
// model admits may do (retrieve items, subscribe, unsubscribe).
import { randomUUID } from 'node:crypto';
import type { IqOutcome } from '@parley/ext';
import type { Jid } from '@parley/jid';
import type { PepAffiliation, PepNode, RosterItem } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import { denial } from './access.ts';
import { applyFields, configFields, defaultConfig, effectiveMaxItems, fromStored, type Limits, type NodeConfig, satisfies, toStored } from './config.ts';
import { pubsubError, unsupported } from './errors.ts';
import { buildForm, readForm } from './form.ts';
import { eventMessage, interested, itemsEvent, type Notifier, notify, payloadOf } from './notify.ts';
import { NS_NODE_CONFIG, NS_PUBLISH_OPTIONS, NS_PUBSUB, NS_PUBSUB_OWNER } from './ns.ts';

export interface PepContext {
  /** The service: the account's bare JID. */
  owner: string;
  /** Who asks (full JID). */
  from: Jid;
  limits: Limits;
  notifier: Notifier;
  /** The owner's roster item for a contact. */
  rosterItem(contact: string): Promise<RosterItem | null | undefined>;
  /** The owner's whole roster (who gets notifications). */
  roster(): Promise<RosterItem[]>;
  /** Runs after the owner changed a node (XEP-0411 keeps the two bookmark nodes in step). */
  changed?(ctx: PepContext, node: string): Promise<void>;
}

/** Node names and item ids end up as keys in the store: bounded well below the stanza size. */
const MAX_NAME = 1024;
const tooLong = (op: Element) => (op.attr('node')?.length ?? 0) > MAX_NAME || op.getChildren('item').some((i) => (i.attr('id')?.length ?? 0) > MAX_NAME);
const isOwner = (ctx: PepContext) => ctx.from.bareString() === ctx.owner;
const result = (...els: Element[]): IqOutcome => ({ result: els });

async function nodeOf(ctx: PepContext, name: string): Promise<{ node: PepNode; config: NodeConfig } | null> {
  const node = await ctx.notifier.store.pep.getNode(ctx.owner, name);
  return node ? { node, config: fromStored(node.config, name) } : null;
}

async function accessDenied(ctx: PepContext, node: PepNode, config: NodeConfig): Promise<IqOutcome | null> {
  if (isOwner(ctx)) return null;
  const requester = ctx.from.bareString();
  const d = denial({ owner: ctx.owner, requester, item: await ctx.rosterItem(requester), affiliations: node.affiliations, model: config.access_model, rosterGroups: config.roster_groups_allowed });
  return d ? { error: d.error, appCondition: d.appCondition } : null;
}

/** `<pubsub xmlns='…#pubsub'>` get or set. */
export async function pubsubRequest(ctx: PepContext, type: 'get' | 'set', payload: Element): Promise<IqOutcome> {
  const ops = payload.getChildElements().filter((e) => !e.is('publish-options') && !e.is('options'));
  const op = ops[0];
  // XEP-0060 §7.1.3 et al.: one action per request.
  if (!op || ops.length > 1) return pubsubError('bad-request', undefined, 'a pubsub request carries exactly one action');
  if (tooLong(op)) return pubsubError('not-acceptable', undefined, `node names and item ids are at most ${MAX_NAME} characters`);
  if (type === 'get') {
    if (op.name === 'items') return retrieveItems(ctx, op);
    if (op.name === 'subscriptions') return unsupported('retrieve-subscriptions');
    if (op.name === 'affiliations') return unsupported('retrieve-affiliations');
    if (op.name === 'default') return unsupported('retrieve-default');
    return pubsubError('bad-request');
  }
  switch (op.name) {
    case 'publish':
      return isOwner(ctx) ? publish(ctx, op, payload.getChild('publish-options')) : pubsubError('forbidden', undefined, 'only the account publishes to its PEP service');
    case 'retract':
      return isOwner(ctx) ? retract(ctx, op) : pubsubError('forbidden');
    case 'create':
      return isOwner(ctx) ? create(ctx, op, payload.getChild('configure')) : pubsubError('forbidden');
    case 'subscribe':
      return subscribe(ctx, op);
    case 'unsubscribe':
      return unsubscribe(ctx, op);
    default:
      return pubsubError('bad-request');
  }
}

/** `<pubsub xmlns='…#owner'>`: the owner's use cases (XEP-0060 §8). */
export async function ownerRequest(ctx: PepContext, type: 'get' | 'set', payload: Element): Promise<IqOutcome> {
  if (!isOwner(ctx)) return pubsubError('forbidden', undefined, 'only the account manages its PEP nodes');
  const op = payload.getChildElements()[0];
  if (!op || payload.getChildElements().length > 1) return pubsubError('bad-request');
  if (tooLong(op)) return pubsubError('not-acceptable', undefined, `node names are at most ${MAX_NAME} characters`);
  if (op.name === 'default' && type === 'get') {
    // §8.3: the default configuration.
    return result(xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('default', {}, buildForm('form', NS_NODE_CONFIG, configFields(defaultConfig(''), ctx.limits)))));
  }
  const name = op.attr('node');
  if (!name) return pubsubError('bad-request', 'nodeid-required');
  const found = await nodeOf(ctx, name);
  if (!found) return pubsubError('item-not-found');
  const { store } = ctx.notifier;
  switch (`${type} ${op.name}`) {
    case 'get configure':
      return result(xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('configure', { node: name }, buildForm('form', NS_NODE_CONFIG, configFields(found.config, ctx.limits)))));
    case 'set configure': {
      const x = op.getChild('x', 'jabber:x:data');
      if (x?.attr('type') === 'cancel') return result();
      const form = readForm(op);
      if (!form) return pubsubError('bad-request', 'invalid-options');
      const applied = applyFields(found.config, form, ctx.limits);
      if (!applied.ok) return pubsubError('not-acceptable', 'invalid-options', `${applied.field} is not supported with that value`);
      await store.pep.configureNode(ctx.owner, name, toStored(applied.config), applied.config.persist_items ? effectiveMaxItems(applied.config, ctx.limits) : 0);
      return result();
    }
    case 'set delete': {
      // §8.4.2: subscribers hear of the deletion; who they are is known only before it.
      const roster = await ctx.roster();
      const event = xml('delete', { node: name });
      const recipients = await interested(ctx.notifier, ctx.owner, found.node, roster);
      await store.pep.deleteNode(ctx.owner, name);
      return { result: [], after: async () => void (recipients.length && (await ctx.notifier.send(recipients, eventMessage(ctx.owner, event)))) };
    }
    case 'set purge':
      await store.pep.purge(ctx.owner, name);
      return { result: [], after: async () => notify(ctx.notifier, ctx.owner, found.node, await ctx.roster(), xml('purge', { node: name })) };
    case 'get affiliations':
      return result(
        xml(
          'pubsub',
          { xmlns: NS_PUBSUB_OWNER },
          xml('affiliations', { node: name }, xml('affiliation', { jid: ctx.owner, affiliation: 'owner' }), ...Object.entries(found.node.affiliations).map(([jid, affiliation]) => xml('affiliation', { jid, affiliation }))),
        ),
      );
    case 'set affiliations': {
      const next = { ...found.node.affiliations };
      for (const a of op.getChildren('affiliation')) {
        const jid = a.attr('jid');
        const aff = a.attr('affiliation');
        if (!jid || !aff) return pubsubError('bad-request');
        if (jid === ctx.owner) continue; // §8.9.2.4: the owner stays owner
        if (aff === 'none') delete next[jid];
        else if (aff === 'member' || aff === 'publisher' || aff === 'outcast') next[jid] = aff as PepAffiliation;
        else return pubsubError('not-acceptable', undefined, `${aff} is not an affiliation this service supports`);
      }
      await store.pep.setAffiliations(ctx.owner, name, next);
      return result();
    }
    case 'get subscriptions':
    case 'set subscriptions':
      return unsupported('manage-subscriptions');
    default:
      return pubsubError('bad-request');
  }
}

/** Creates a node with `config`, within the node limit; false when over it. */
async function createNode(ctx: PepContext, name: string, config: NodeConfig): Promise<'created' | 'exists' | 'limit'> {
  const { pep } = ctx.notifier.store;
  if ((await pep.countNodes(ctx.owner)) >= ctx.limits.maxNodes) return 'limit';
  return (await pep.createNode(ctx.owner, name, toStored(config))) ? 'created' : 'exists';
}

/** §8.1: create, with a configuration form if given. */
async function create(ctx: PepContext, op: Element, configure: Element | undefined): Promise<IqOutcome> {
  const name = op.attr('node');
  if (!name) return pubsubError('not-acceptable', 'nodeid-required', 'instant nodes are not supported on a PEP service');
  let config = defaultConfig(name);
  const form = readForm(configure);
  if (form) {
    const applied = applyFields(config, form, ctx.limits);
    if (!applied.ok) return pubsubError('not-acceptable', 'invalid-options', `${applied.field} is not supported with that value`);
    config = applied.config;
  }
  const made = await createNode(ctx, name, config);
  if (made === 'exists') return pubsubError('conflict', undefined, 'the node exists');
  if (made === 'limit') return pubsubError('not-allowed', 'max-nodes-exceeded');
  return result();
}

/** §7.1: publish an item, creating the node if needed (XEP-0163 §3, #auto-create), under publish-options (§7.1.5). */
async function publish(ctx: PepContext, op: Element, options: Element | undefined): Promise<IqOutcome> {
  const name = op.attr('node');
  if (!name) return pubsubError('bad-request', 'nodeid-required');
  const items = op.getChildren('item');
  if (items.length > 1) return pubsubError('bad-request', 'invalid-payload', 'one item per publish');
  const item = items[0];
  const payloads = item?.getChildElements() ?? [];
  // §7.1.3.6-7.1.3.7: a PEP item carries exactly one payload.
  if (payloads.length === 0) return pubsubError('bad-request', 'payload-required');
  if (payloads.length > 1) return pubsubError('bad-request', 'invalid-payload');
  const payload = payloads[0]!.clone();
  const ns = payloads[0]!.getNS();
  if (!ns) return pubsubError('bad-request', 'invalid-payload', 'the payload needs a namespace');
  payload.setAttr('xmlns', ns);
  const serialized = payload.toString();
  if (Buffer.byteLength(serialized) > ctx.limits.maxItemBytes) return pubsubError('not-acceptable', 'payload-too-big');
  const form = readForm(options);
  if (form && form.formType !== undefined && form.formType !== NS_PUBLISH_OPTIONS) return pubsubError('bad-request', 'invalid-options');

  let found = await nodeOf(ctx, name);
  if (found && form && !satisfies(found.config, form, ctx.limits)) {
    return pubsubError('conflict', 'precondition-not-met', 'the node exists with a different configuration');
  }
  if (!found) {
    let config = defaultConfig(name);
    if (form) {
      const applied = applyFields(config, form, ctx.limits);
      if (!applied.ok) return pubsubError('conflict', 'precondition-not-met', `${applied.field} cannot be set to that value`);
      config = applied.config;
    }
    const made = await createNode(ctx, name, config);
    if (made === 'limit') return pubsubError('not-allowed', 'max-nodes-exceeded');
    found = await nodeOf(ctx, name);
    if (!found) return pubsubError('internal-server-error');
  }
  const id = item?.attr('id') || randomUUID();
  return publishItem(ctx, found, id, serialized);
}

/** Stores (when persistent) and announces one item; the result names its id (§7.1.2). */
export async function publishItem(ctx: PepContext, found: { node: PepNode; config: NodeConfig }, id: string, payload: string): Promise<{ result: Element[]; after: () => Promise<void> }> {
  const { config, node } = found;
  const record = { id, payload, publisher: ctx.owner, publishedAt: new Date() };
  if (config.persist_items) await ctx.notifier.store.pep.publish(ctx.owner, node.node, record, effectiveMaxItems(config, ctx.limits));
  return {
    result: [xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: node.node }, xml('item', { id })))],
    after: async () => {
      await notify(ctx.notifier, ctx.owner, node, await ctx.roster(), itemsEvent(node.node, [record], config.deliver_payloads));
      await ctx.changed?.(ctx, node.node);
    },
  };
}

/** §7.2: delete an item, notifying when configured or asked (§7.2.2.1). */
async function retract(ctx: PepContext, op: Element): Promise<IqOutcome> {
  const name = op.attr('node');
  if (!name) return pubsubError('bad-request', 'nodeid-required');
  const ids = op.getChildren('item').map((i) => i.attr('id'));
  if (ids.length !== 1 || !ids[0]) return pubsubError('bad-request', 'item-required');
  const found = await nodeOf(ctx, name);
  if (!found) return pubsubError('item-not-found');
  const id = ids[0];
  if (!(await ctx.notifier.store.pep.retract(ctx.owner, name, id))) return pubsubError('item-not-found');
  const asked = op.attr('notify') === 'true' || op.attr('notify') === '1';
  return {
    result: [],
    after: async () => {
      if (asked || found.config.notify_retract) await notify(ctx.notifier, ctx.owner, found.node, await ctx.roster(), xml('items', { node: name }, xml('retract', { id })));
      await ctx.changed?.(ctx, name);
    },
  };
}

/** §6.5: all items, the newest max_items, or those asked for by id; newest first. */
async function retrieveItems(ctx: PepContext, op: Element): Promise<IqOutcome> {
  const name = op.attr('node');
  if (!name) return pubsubError('bad-request', 'nodeid-required');
  const found = await nodeOf(ctx, name);
  if (!found) return pubsubError('item-not-found');
  const denied = await accessDenied(ctx, found.node, found.config);
  if (denied) return denied;
  const ids = op.getChildren('item').flatMap((i) => (i.attr('id') ? [i.attr('id')!] : []));
  const maxAttr = op.attr('max_items');
  let max: number | undefined;
  if (maxAttr !== undefined) {
    if (!/^\d{1,9}$/.test(maxAttr)) return pubsubError('bad-request', undefined, 'max_items is a positive integer');
    max = Number(maxAttr);
  }
  const items = await ctx.notifier.store.pep.items(ctx.owner, name, ids.length ? { ids } : { max });
  return result(xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: name }, ...items.map((i) => xml('item', { id: i.id, publisher: i.publisher }, payloadOf(i) ?? undefined)))));
}

/** The subscriber's jid must be the requester's bare or full JID (§6.1.3.1). */
function subscriberJid(ctx: PepContext, op: Element): string | null {
  const jid = op.attr('jid');
  if (!jid) return null;
  return jid === ctx.from.toString() || jid === ctx.from.bareString() ? jid : null;
}

/** §6.1: an explicit subscription; the last item follows (§6.1.7) unless the node says never. */
async function subscribe(ctx: PepContext, op: Element): Promise<IqOutcome> {
  const name = op.attr('node');
  if (!name) return pubsubError('bad-request', 'nodeid-required');
  const jid = subscriberJid(ctx, op);
  if (!jid) return pubsubError('bad-request', 'invalid-jid');
  const found = await nodeOf(ctx, name);
  if (!found) return pubsubError('item-not-found');
  const denied = await accessDenied(ctx, found.node, found.config);
  if (denied) return denied;
  await ctx.notifier.store.pep.subscribe(ctx.owner, name, jid);
  return {
    result: [xml('pubsub', { xmlns: NS_PUBSUB }, xml('subscription', { node: name, jid, subscription: 'subscribed' }))],
    after: async () => {
      if (found.config.send_last_published_item === 'never') return;
      const [last] = await ctx.notifier.store.pep.items(ctx.owner, name, { max: 1 });
      if (!last) return;
      const to = (await ctx.notifier.location.resources(ctx.from.bareString())).filter((r) => r.available && (r.jid === jid || jid === ctx.from.bareString()));
      if (to.length) await ctx.notifier.send(to, eventMessage(ctx.owner, itemsEvent(name, [last], found.config.deliver_payloads)));
    },
  };
}

/** §6.2: remove an explicit subscription. */
async function unsubscribe(ctx: PepContext, op: Element): Promise<IqOutcome> {
  const name = op.attr('node');
  if (!name) return pubsubError('bad-request', 'nodeid-required');
  const jid = subscriberJid(ctx, op);
  if (!jid) return pubsubError('bad-request', 'invalid-jid');
  if (!(await nodeOf(ctx, name))) return pubsubError('item-not-found');
  if (!(await ctx.notifier.store.pep.unsubscribe(ctx.owner, name, jid))) return pubsubError('unexpected-request', 'not-subscribed');
  return result();
}

/** Payload helpers for the modules that build on PEP. */
export { payloadOf };
