import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ExtensionModule, loadModules } from '@parley/ext';
import { parseJid } from '@parley/jid';
import { iqResult } from '@parley/stanza';
import { type Element, parseFragment } from '@parley/xml';
import { type Admission, admit } from './admission.ts';

const D = 'example.com';
const alice = parseJid(`alice@${D}/phone`);
// A roster-like IQ owned by the presence service, and an IQ answered at the edge.
const modules: ExtensionModule[] = [
  { name: 'rosterish', specs: [], presence: { iq: [{ scope: ['server'], type: 'get', name: 'query', xmlns: 'jabber:iq:roster', handle: () => ({ result: [] }) }] } },
  { name: 'sessionish', specs: [], edge: { localIq: [{ type: 'set', name: 'session', xmlns: 'urn:ietf:params:xml:ns:xmpp-session', stages: ['established'], handle: (iq) => iqResult(iq) }] } },
];
const ext = loadModules(modules).edge;
const run = (s: string): { a: Admission; el: Element } => {
  const el = parseFragment(s);
  return { a: admit(el, alice, D, ext), el };
};
const route = (s: string) => {
  const { a } = run(s);
  assert.equal(a.kind, 'route', JSON.stringify(a));
  return a.kind === 'route' ? { service: a.service, key: a.key } : null;
};
const ping = (to?: string) => `<iq xmlns="jabber:client" type="get" id="1"${to ? ` to="${to}"` : ''}><ping xmlns="urn:xmpp:ping"/></iq>`;
const roster = (to?: string) => `<iq xmlns="jabber:client" type="get" id="1"${to ? ` to="${to}"` : ''}><query xmlns="jabber:iq:roster"/></iq>`;
const message = (to: string) => `<message xmlns="jabber:client" to="${to}"><body>hi</body></message>`;

describe('admission routes each stanza to the actor that owns it', () => {
  const A = { service: 'session', key: `alice@${D}` };
  const table: Array<[string, string, { service: string; key: string }]> = [
    ['presence without to', '<presence xmlns="jabber:client"/>', { service: 'presence', key: `alice@${D}` }],
    ['a subscription request', `<presence xmlns="jabber:client" to="bob@${D}" type="subscribe"/>`, { service: 'presence', key: `alice@${D}` }],
    ['a roster get without to', roster(), { service: 'presence', key: `alice@${D}` }],
    ['a roster get to the own bare JID', roster(`alice@${D}`), { service: 'presence', key: `alice@${D}` }],
    ['a roster get to the domain', roster(D), { service: 'presence', key: `alice@${D}` }],
    ['a roster get to domain/resource', roster(`${D}/x`), { service: 'presence', key: `alice@${D}` }],
    ['a ping without to', ping(), A],
    ['a ping to the domain', ping(D), A],
    ['a ping to domain/resource', ping(`${D}/admin`), A],
    ['a ping to the own bare JID', ping(`alice@${D}`), A],
    ['a ping to another bare JID', ping(`bob@${D}`), { service: 'session', key: `bob@${D}` }],
    ['a ping to a full JID', ping(`bob@${D}/laptop`), { service: 'session', key: `bob@${D}` }],
    ['a message to another bare JID', message(`bob@${D}`), { service: 'session', key: `bob@${D}` }],
    ['a message to another full JID', message(`bob@${D}/laptop`), { service: 'session', key: `bob@${D}` }],
    ['a message to the own bare JID', message(`alice@${D}`), A],
    ['a message to an own other resource', message(`alice@${D}/desk`), A],
    ['a message to the domain', message(D), A],
  ];
  for (const [what, xmlText, expected] of table) test(`${what} goes to ${expected.service} ${expected.key}`, () => assert.deepEqual(route(xmlText), expected));

  test('the from is stamped with the session full JID and the to is prepared', () => {
    const { el } = run(`<message xmlns="jabber:client" to="BOB@Example.COM/Laptop"><body>x</body></message>`);
    assert.equal(el.attr('from'), `alice@${D}/phone`);
    assert.equal(el.attr('to'), `bob@${D}/Laptop`);
  });

  test('a from of the own bare JID is accepted and replaced by the full JID', () => {
    const { a, el } = run(`<message xmlns="jabber:client" from="alice@${D}" to="bob@${D}"/>`);
    assert.equal(a.kind, 'route');
    assert.equal(el.attr('from'), `alice@${D}/phone`);
  });
});

describe('admission refuses what it must', () => {
  const cases: Array<[string, string, Partial<Admission>]> = [
    ['a spoofed from', `<message xmlns="jabber:client" from="mallory@${D}/x" to="bob@${D}"/>`, { kind: 'stream-error', condition: 'invalid-from' }],
    ['another resource as from', `<message xmlns="jabber:client" from="alice@${D}/other" to="bob@${D}"/>`, { kind: 'stream-error', condition: 'invalid-from' }],
    ['an element that is no stanza', '<foo xmlns="jabber:client"/>', { kind: 'stream-error', condition: 'unsupported-stanza-type' }],
    ['a stanza in another namespace', '<message xmlns="urn:example"/>', { kind: 'stream-error', condition: 'unsupported-stanza-type' }],
    ['an IQ without id', '<iq xmlns="jabber:client" type="get"><ping xmlns="urn:xmpp:ping"/></iq>', { kind: 'refuse', condition: 'bad-request' }],
    ['an IQ of an unknown type', '<iq xmlns="jabber:client" type="fetch" id="1"><ping xmlns="urn:xmpp:ping"/></iq>', { kind: 'refuse', condition: 'bad-request' }],
    ['an IQ get with two payloads', '<iq xmlns="jabber:client" type="get" id="1"><a xmlns="x"/><b xmlns="y"/></iq>', { kind: 'refuse', condition: 'bad-request' }],
    ['an IQ set with no payload', '<iq xmlns="jabber:client" type="set" id="1"/>', { kind: 'refuse', condition: 'bad-request' }],
    ['a malformed to', '<message xmlns="jabber:client" to="@@bad"/>', { kind: 'refuse', condition: 'jid-malformed' }],
    ['a message to another domain', message('bob@other.net'), { kind: 'refuse', condition: 'remote-server-not-found' }],
    ['presence to another domain', '<presence xmlns="jabber:client" to="bob@other.net"/>', { kind: 'drop' }],
    ['a presence of a type that does not exist', '<presence xmlns="jabber:client" type="online"/>', { kind: 'refuse', condition: 'bad-request' }],
  ];
  for (const [what, xmlText, expected] of cases) {
    test(`${what} is ${expected.kind}${'condition' in expected ? ` ${expected.condition}` : ''}`, () => {
      const { a } = run(xmlText);
      for (const [k, v] of Object.entries(expected)) assert.equal((a as Record<string, unknown>)[k], v);
    });
  }

  test('an IQ a module answers at the edge is answered, not routed', () => {
    const { a } = run('<iq xmlns="jabber:client" type="set" id="s1"><session xmlns="urn:ietf:params:xml:ns:xmpp-session"/></iq>');
    assert.equal(a.kind, 'local');
    if (a.kind === 'local') assert.equal(a.local.name, 'session');
  });

  test('the same IQ addressed to another account is routed to it', () => {
    assert.deepEqual(route(`<iq xmlns="jabber:client" type="set" id="s1" to="bob@${D}"><session xmlns="urn:ietf:params:xml:ns:xmpp-session"/></iq>`), { service: 'session', key: `bob@${D}` });
  });
});
