// XEP-0157 contact addresses for XMPP services: the server's disco#info carries a
// http://jabber.org/network/serverinfo form (XEP-0128) with the addresses the operator configured
// (PARLEY_CONTACT_ADDRESSES). Loaded only when some are set.
import type { ExtensionModule } from '@parley/ext';
import { xml } from '@parley/xml';
import { NS_DATA } from './adhoc/index.ts';

export const NS_SERVERINFO = 'http://jabber.org/network/serverinfo';

/** "abuse=mailto:a@x xmpp:a@x;admin=…" → kind → URIs (validated by the config schema). */
export function parseContactAddresses(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of text.split(';')) {
    const [kind, uris] = part.split('=', 2) as [string, string];
    out.set(kind, [...(out.get(kind) ?? []), ...uris.split(' ').filter(Boolean)]);
  }
  return out;
}

export function contactAddresses(text: string): ExtensionModule {
  const byKind = parseContactAddresses(text);
  // §2: one list-multi field per kind, named <kind>-addresses, values are URIs.
  const form = () =>
    xml(
      'x',
      { xmlns: NS_DATA, type: 'result' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_SERVERINFO)),
      ...[...byKind].map(([kind, uris]) => xml('field', { var: `${kind}-addresses`, type: 'list-multi' }, ...uris.map((u) => xml('value', {}, u)))),
    );
  return {
    name: 'contact-addresses',
    specs: ['XEP-0157'],
    settings: ['contactAddresses'],
    session: { discoNodes: { info: (ctx, node) => (node === undefined && ctx.to.local === null ? [form()] : undefined) } },
  };
}
