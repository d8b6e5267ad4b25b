// XEP-0313 §4 querying the archive: the search form (XEP-0004, §4.1), RSM paging (XEP-0059, §4.3)
// with flipped pages (§4.3.4), results forwarded (XEP-0297) with their delay (XEP-0203), and <fin/>.
import { randomUUID } from 'node:crypto';
import type { IqHandler, IqOutcome, SessionIqRequest } from '@parley/ext';
import { tryParseJid } from '@parley/jid';
import { NS } from '@parley/stanza';
import type { ArchivedMessage, ArchiveQuery, ArchiveRepo } from '@parley/store';
import { type Element, parseFragment, xml } from '@parley/xml';
import type { ArchiveMetrics } from './metrics.ts';
import { FULLTEXT_FIELD, NS_DATA, NS_MAM, NS_RSM } from './ns.ts';

export interface QueryLimits {
  /** Page size when the client gives no `<max/>`. */
  defaultPage: number;
  /** Largest page served; a larger `<max/>` is cut to it (XEP-0059 §2.1 lets the responder). */
  maxPage: number;
  metrics?: ArchiveMetrics | null;
}

/** §4.1.1 and XEP-0431: the fields the server understands, advertised in the form (§4.1.2). */
export function queryForm(): Element {
  const field = (v: string, type: string, label?: string, value?: string) =>
    xml('field', { var: v, type, label }, ...(value !== undefined ? [xml('value', null, value)] : []));
  return xml(
    'x',
    { xmlns: NS_DATA, type: 'form' },
    field('FORM_TYPE', 'hidden', undefined, NS_MAM),
    field('with', 'jid-single', 'With'),
    field('start', 'text-single', 'Start'),
    field('end', 'text-single', 'End'),
    field('before-id', 'text-single', 'Before id'),
    field('after-id', 'text-single', 'After id'),
    field('ids', 'text-multi', 'Ids'),
    field(FULLTEXT_FIELD, 'text-single', 'Search the text of messages'),
  );
}

// XEP-0082 §3.2 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD.
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

type Parsed = { ok: true; q: Omit<ArchiveQuery, 'owner'>; flip: boolean } | { ok: false; error: 'bad-request' | 'feature-not-implemented'; text: string };

const bad = (text: string): Parsed => ({ ok: false, error: 'bad-request', text });

/** Turns the `<query/>` payload into an archive query, or the error §4.1 asks for. */
export function parseQuery(query: Element, limits: QueryLimits): Parsed {
  const q: Omit<ArchiveQuery, 'owner'> = { max: limits.defaultPage, direction: 'forward' };
  const form = query.getChild('x', NS_DATA);
  if (form) {
    // XEP-0004 §3.2: a query is a submitted form (XEP-0068: FORM_TYPE names it).
    if ((form.attr('type') ?? 'submit') !== 'submit') return bad('the query form must be of type submit');
    for (const f of form.getChildren('field')) {
      const name = f.attr('var');
      const values = f.getChildren('value').map((v) => v.text());
      const value = values[0];
      if (name === 'FORM_TYPE') {
        if (value !== NS_MAM) return bad(`unknown FORM_TYPE ${value ?? ''}`);
        continue;
      }
      if (values.length === 0 && name !== 'ids') continue; // an empty field asks for nothing
      switch (name) {
        case 'with': {
          const jid = tryParseJid(value!);
          if (!jid) return bad('with: not a JID');
          q.with = jid.toString();
          break;
        }
        case 'start':
        case 'end': {
          if (!DATETIME.test(value!) || Number.isNaN(Date.parse(value!))) return bad(`${name}: not an XEP-0082 DateTime`);
          q[name] = new Date(value!);
          break;
        }
        case 'after-id':
          q.afterId = value!;
          break;
        case 'before-id':
          q.beforeId = value!;
          break;
        case 'ids':
          q.ids = values;
          break;
        case FULLTEXT_FIELD:
        case 'withtext': // ejabberd's name for the same search
          if (value!.trim() !== '') q.text = value!;
          break;
        default:
          // §4.1.1: a field the server does not understand is refused.
          return bad(`unsupported field ${name ?? '(no var)'}`);
      }
    }
  }
  const set = query.getChild('set', NS_RSM);
  if (set) {
    const max = set.getChildText('max');
    if (max !== undefined) {
      if (!/^\d{1,9}$/.test(max.trim())) return bad('max: not a non-negative integer');
      q.max = Math.min(Number(max.trim()), limits.maxPage);
    }
    if (set.getChild('index')) return { ok: false, error: 'feature-not-implemented', text: 'paging by index is not supported' };
    const after = set.getChild('after');
    const before = set.getChild('before');
    if (after) {
      if (after.text() === '') return bad('after: empty');
      q.after = after.text();
    }
    // XEP-0059 §2.5: an empty <before/> asks for the last page.
    if (before) {
      q.direction = 'backward';
      if (before.text() !== '') q.before = before.text();
    }
  }
  return { ok: true, q, flip: query.getChild('flip-page') !== undefined };
}

/** §4.2 one result: the archived message forwarded, with when the server got it. */
function resultMessage(m: ArchivedMessage, forwarded: Element, to: string, from: string, queryid: string | undefined): Element {
  return xml(
    'message',
    { xmlns: NS.client, to, from, id: randomUUID() },
    xml('result', { xmlns: NS_MAM, queryid, id: m.id }, xml('forwarded', { xmlns: NS.forward }, xml('delay', { xmlns: NS.delay, stamp: m.ts.toISOString() }), forwarded)),
  );
}

/** One archive query of one owner's archive, wherever the archive lives (an account, a room). */
export interface ArchivePageRequest {
  archive: ArchiveRepo;
  /** The `<query/>` payload. */
  payload: Element;
  /** Whose archive (the account's or the room's bare JID), and the address results come from (§4.2). */
  owner: string;
  /** The requester's full JID: results are addressed to it. */
  to: string;
  limits: QueryLimits;
  /** What the requester may see of an archived message (a room hides real JIDs, XEP-0313 §5.1.2). */
  shown?: (stored: Element) => Element;
  /** Sends one result message to the requester, in order, before the IQ result. */
  send(result: Element): Promise<void> | void;
}

/** §4: parses the query, fetches the page, sends its results (§4.2) and returns the <fin/> (§4.3). */
export async function servePage(r: ArchivePageRequest): Promise<IqOutcome> {
  const parsed = parseQuery(r.payload, r.limits);
  if (!parsed.ok) return { error: parsed.error, text: parsed.text };
  const end = r.limits.metrics?.query.startTimer();
  const page = await r.archive.query({ ...parsed.q, owner: r.owner });
  end?.();
  // §4.3.1 (XEP-0059 §2.6): a cursor or bound id that is not in the archive.
  if (page === 'item-not-found') return { error: 'item-not-found', text: 'no such message in the archive' };
  const queryid = r.payload.attr('queryid');
  // §4.3.4: a flipped page is sent newest first; <first/> and <last/> keep their meaning.
  const sent = parsed.flip ? [...page.items].reverse() : page.items;
  for (const m of sent) {
    const stored = parseFragment(m.stanza);
    await r.send(resultMessage(m, r.shown ? r.shown(stored) : stored, r.to, r.owner, queryid));
  }
  const set = xml('set', { xmlns: NS_RSM });
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  if (first && last) set.append(xml('first', null, first.id), xml('last', null, last.id));
  // §4.3.1: complete once the page reaches the end of the results in the paging direction.
  return { result: [xml('fin', { xmlns: NS_MAM, complete: page.complete ? 'true' : undefined }, set)] };
}

async function runQuery(ctx: SessionIqRequest, limits: QueryLimits): Promise<IqOutcome> {
  const { env, from, payload, iq } = ctx;
  // The own archive is queried without `to` or at the own bare JID (§4); not at the domain.
  if (iq.attr('to') === ctx.domain) return { error: 'service-unavailable', text: 'the server keeps no archive of its own' };
  const owner = from.bare.toString();
  const requester = from.toString();
  const entry = (await env.location.resources(owner)).find((r) => r.jid === requester);
  return servePage({
    archive: env.store.archive,
    payload,
    owner,
    to: requester,
    limits,
    send: async (m) => {
      if (entry) await env.publish([entry], m.toString());
    },
  });
}

export function queryHandlers(limits: QueryLimits): IqHandler<SessionIqRequest>[] {
  return [
    // §4.1.2: the form lists the fields the server supports.
    { scope: ['server'], type: 'get', name: 'query', xmlns: NS_MAM, handle: () => ({ result: [xml('query', { xmlns: NS_MAM }, queryForm())] }) },
    { scope: ['server'], type: 'set', name: 'query', xmlns: NS_MAM, handle: (ctx) => runQuery(ctx, limits) },
  ];
}
