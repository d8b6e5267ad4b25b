// Node configuration (XEP-0060 §16.4 pubsub#node_config), the defaults of well-known PEP nodes,
// and the two ways a client changes it: publish-options preconditions (§7.1.5) and configure (§8.2).
import type { PepNodeConfig } from '@parley/store';
import type { FormField, SubmittedForm } from './form.ts';
import { NODE_BOOKMARKS, NODE_LEGACY_BOOKMARKS } from './ns.ts';

export const ACCESS_MODELS = ['presence', 'open', 'roster', 'whitelist'] as const;
export type AccessModel = (typeof ACCESS_MODELS)[number];
const SEND_LAST = ['never', 'on_sub', 'on_sub_and_presence'] as const;

export interface NodeConfig {
  access_model: AccessModel;
  persist_items: boolean;
  /** A count, or 'max' for the server's limit (XEP-0060 §7.1.5 and XEP-0402 §3). */
  max_items: number | 'max';
  roster_groups_allowed: string[];
  send_last_published_item: (typeof SEND_LAST)[number];
  notify_retract: boolean;
  deliver_notifications: boolean;
  deliver_payloads: boolean;
  title: string;
}

export interface Limits {
  /** Items kept per node, at most (`max_items` 'max'). */
  maxItems: number;
  /** Serialized payload size of one item, bytes. */
  maxItemBytes: number;
  /** Nodes per account. */
  maxNodes: number;
}

/** XEP-0163 §5: access model presence by default, items persisted, the last one sent on presence. */
export function defaultConfig(node: string): NodeConfig {
  const base: NodeConfig = {
    access_model: 'presence',
    persist_items: true,
    max_items: 1,
    roster_groups_allowed: [],
    send_last_published_item: 'on_sub_and_presence',
    notify_retract: true,
    deliver_notifications: true,
    deliver_payloads: true,
    title: '',
  };
  // XEP-0402 §3 (and XEP-0411 / XEP-0223 for the XEP-0048 node): private to the owner, one item per room.
  if (node === NODE_BOOKMARKS) return { ...base, access_model: 'whitelist', max_items: 'max' };
  if (node === NODE_LEGACY_BOOKMARKS) return { ...base, access_model: 'whitelist' };
  return base;
}

export const effectiveMaxItems = (c: NodeConfig, limits: Limits): number => (c.max_items === 'max' ? limits.maxItems : Math.min(c.max_items, limits.maxItems));

export function fromStored(stored: PepNodeConfig, node: string): NodeConfig {
  return { ...defaultConfig(node), ...(stored as Partial<NodeConfig>) };
}
export const toStored = (c: NodeConfig): PepNodeConfig => ({ ...c });

/** Fields that are accepted when they ask for what this service always does. */
const FIXED: Record<string, string> = {
  'pubsub#notify_delete': '1',
  'pubsub#notify_config': '0',
  'pubsub#notify_sub': '0',
  'pubsub#publish_model': 'publishers',
  'pubsub#presence_based_delivery': '0',
  'pubsub#purge_offline': '0',
  'pubsub#notification_type': 'headline',
  'pubsub#type': '',
};

type FieldResult = { ok: true; config: NodeConfig } | { ok: false; field: string };
const bool = (v: string | undefined): boolean | null => (v === '1' || v === 'true' ? true : v === '0' || v === 'false' ? false : null);

/** Applies a submitted form's fields to a configuration; the first unacceptable field fails it. */
export function applyFields(base: NodeConfig, form: SubmittedForm, limits: Limits): FieldResult {
  const c: NodeConfig = { ...base, roster_groups_allowed: [...base.roster_groups_allowed] };
  for (const [name, values] of form.fields) {
    const v = values[0];
    switch (name) {
      case 'pubsub#access_model':
        if (!ACCESS_MODELS.includes(v as AccessModel)) return { ok: false, field: name };
        c.access_model = v as AccessModel;
        break;
      case 'pubsub#persist_items':
      case 'pubsub#notify_retract':
      case 'pubsub#deliver_notifications':
      case 'pubsub#deliver_payloads': {
        const b = bool(v);
        if (b === null) return { ok: false, field: name };
        c[name.slice(7) as 'persist_items' | 'notify_retract' | 'deliver_notifications' | 'deliver_payloads'] = b;
        break;
      }
      case 'pubsub#max_items': {
        if (v === 'max') {
          c.max_items = 'max';
          break;
        }
        const n = /^\d{1,9}$/.test(v ?? '') ? Number(v) : Number.NaN;
        if (!(n >= 1 && n <= limits.maxItems)) return { ok: false, field: name };
        c.max_items = n;
        break;
      }
      case 'pubsub#roster_groups_allowed':
        c.roster_groups_allowed = values;
        break;
      case 'pubsub#send_last_published_item':
        if (!SEND_LAST.includes(v as NodeConfig['send_last_published_item'])) return { ok: false, field: name };
        c.send_last_published_item = v as NodeConfig['send_last_published_item'];
        break;
      case 'pubsub#title':
        c.title = v ?? '';
        break;
      default:
        if (!(name in FIXED) || (FIXED[name] !== '' && normal(v) !== FIXED[name])) return { ok: false, field: name };
    }
  }
  return { ok: true, config: c };
}
const normal = (v: string | undefined) => (v === 'true' ? '1' : v === 'false' ? '0' : v);

/** XEP-0060 §7.1.5: does an existing node's configuration already satisfy the publish-options? */
export function satisfies(current: NodeConfig, form: SubmittedForm, limits: Limits): boolean {
  const wanted = applyFields(current, form, limits);
  if (!wanted.ok) return false;
  const w = wanted.config;
  return (
    w.access_model === current.access_model &&
    w.persist_items === current.persist_items &&
    effectiveMaxItems(w, limits) === effectiveMaxItems(current, limits) &&
    w.send_last_published_item === current.send_last_published_item &&
    w.notify_retract === current.notify_retract &&
    w.deliver_notifications === current.deliver_notifications &&
    w.deliver_payloads === current.deliver_payloads &&
    w.roster_groups_allowed.join('\n') === current.roster_groups_allowed.join('\n')
  );
}

/** XEP-0060 §8.2.1: the configuration form of a node. */
export function configFields(c: NodeConfig, limits: Limits): FormField[] {
  const b = (x: boolean) => (x ? '1' : '0');
  return [
    { var: 'pubsub#title', type: 'text-single', values: [c.title] },
    { var: 'pubsub#access_model', type: 'list-single', values: [c.access_model], options: [...ACCESS_MODELS] },
    { var: 'pubsub#roster_groups_allowed', type: 'list-multi', values: c.roster_groups_allowed },
    { var: 'pubsub#persist_items', type: 'boolean', values: [b(c.persist_items)] },
    { var: 'pubsub#max_items', type: 'text-single', values: [String(effectiveMaxItems(c, limits))] },
    { var: 'pubsub#send_last_published_item', type: 'list-single', values: [c.send_last_published_item], options: [...SEND_LAST] },
    { var: 'pubsub#notify_retract', type: 'boolean', values: [b(c.notify_retract)] },
    { var: 'pubsub#deliver_notifications', type: 'boolean', values: [b(c.deliver_notifications)] },
    { var: 'pubsub#deliver_payloads', type: 'boolean', values: [b(c.deliver_payloads)] },
  ];
}
