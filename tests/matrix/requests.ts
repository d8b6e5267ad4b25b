// What a client asked the server for on its own (disco, vCard, PEP, MAM, blocking, …) and what
// Parley answered, read from the client's own record of its traffic. docs/clients.md lists these
// per client, so later work knows which features real clients look for at login.
import { type Element, parseFragment } from '@parley/xml';
import type { Traffic } from '../harness/driven.ts';

export interface Request {
  type: string;
  /** The addressee as the client wrote it ('' for the client's own account on the server). */
  to: string;
  /** `{namespace}name` of the payload, plus its node if any. */
  payload: string;
  /** 'result', 'error <condition>', or 'unanswered'. */
  answer: string;
}

const STANZAS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

function parse(xml: string): Element | null {
  try {
    return parseFragment(xml);
  } catch {
    return null; // a nonza the client logged in a form our restricted parser refuses
  }
}

function describePayload(p: Element | undefined): string {
  if (!p) return '(none)';
  // PubSub (XEP-0060) names the node on the child: <pubsub><items node='…'/></pubsub>.
  const node = p.attr('node') ?? p.getChildElements()[0]?.attr('node');
  return `{${p.getNS() ?? ''}}${p.name}${node ? ` node=${node}` : ''}`;
}

/** Every IQ get/set the client sent, with Parley's answer as the client received it. */
export function requestLog(traffic: Traffic): Request[] {
  const replies = new Map<string, Element>();
  for (const el of traffic.received.map(parse)) {
    const type = el?.attr('type');
    if (el?.name === 'iq' && (type === 'result' || type === 'error')) replies.set(el.attr('id') ?? '', el);
  }
  const out: Request[] = [];
  for (const el of traffic.sent.map(parse)) {
    const type = el?.attr('type');
    if (el?.name !== 'iq' || (type !== 'get' && type !== 'set')) continue;
    const reply = replies.get(el.attr('id') ?? '');
    const condition = reply
      ?.getChild('error')
      ?.getChildElements()
      .find((c) => c.getNS() === STANZAS_NS && c.name !== 'text')?.name;
    out.push({
      type,
      to: el.attr('to') ?? '',
      payload: describePayload(el.getChildElements()[0]),
      answer: !reply ? 'unanswered' : reply.attr('type') === 'result' ? 'result' : `error ${condition ?? '(no condition)'}`,
    });
  }
  return out;
}

export function formatRequests(requests: Request[]): string {
  return requests.map((r) => `${r.type} ${r.payload} to ${r.to || '(own account)'} -> ${r.answer}`).join('\n');
}
