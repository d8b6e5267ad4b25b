// Unit tests of the vCard-temp, private storage and directory modules through loadModules, on an
// in-memory PGlite store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type InboundStanza, type IqOutcome, loadModules, type LoadedModules, type SessionIqRequest } from '@parley/ext';
import { parseJid } from '@parley/jid';
import { createStore, defaultMigrationsDir, migrate, openPglite, type Store } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import { adhoc, commandRegistry, NS_COMMANDS } from './adhoc/index.ts';
import { DIRECTORY_EDIT_NODE, directory, NS_SEARCH } from './directory/index.ts';
import { NS_PRIVATE, privateStorage } from './private-storage.ts';
import { NS_VCARD, vcardTemp } from './vcard-temp.ts';
import { contactAddresses, parseContactAddresses } from './contact-addresses.ts';

const DOMAIN = 'example.com';
let store: Store;
let loaded: LoadedModules;
const failed: Array<{ condition: string }> = [];

before(async () => {
  const sql = await openPglite(null, { migratedFrom: defaultMigrationsDir });
  await migrate(sql);
  store = createStore(sql);
  const commands = commandRegistry();
  loaded = loadModules([
    vcardTemp({ maxBytes: 300 }),
    privateStorage({ maxBytes: 200 }),
    directory({ commands, maxResults: 2, searchesPerMinute: 100 }),
    adhoc(commands),
  ]);
});
after(() => store?.close());

const env = () => ({ store, domain: DOMAIN, fail: (_s: Element, _o: unknown, condition: string) => failed.push({ condition }) }) as never;

function call(scope: 'server' | 'account', type: 'get' | 'set', from: string, to: string, payload: Element, toAttr?: string): Promise<IqOutcome> {
  // Private XML storage runs in the presence actor (XEP-0411 delegation); its handlers need no more than this context.
  const handler = loaded.session.iq.find(scope, type, payload.getNS(), payload.name) ?? (loaded.presence.iq.find(scope, type, payload.getNS(), payload.name) as never);
  assert.ok(handler, `a handler for ${scope} ${type} ${payload.name}`);
  const ctx: SessionIqRequest = {
    domain: DOMAIN,
    from: parseJid(from),
    to: parseJid(to),
    payload,
    iq: xml('iq', { type, to: toAttr }, payload),
    env: env(),
    disco: loaded.disco,
    discoNodes: loaded.session.discoNodes,
  };
  return Promise.resolve(handler.handle(ctx));
}
const res = (o: IqOutcome) => {
  if (!('result' in o)) assert.fail(`expected a result, got ${o.error}`);
  return o.result;
};
const err = (o: IqOutcome) => ('error' in o ? o.error : 'result');

describe('vCard-temp module (XEP-0054)', () => {
  test('own vCard set and read back; another account reads it; missing is item-not-found', async () => {
    assert.equal(err(await call('server', 'get', 'ann@example.com/a', DOMAIN, xml('vCard', { xmlns: NS_VCARD }))), 'item-not-found');
    res(await call('server', 'set', 'ann@example.com/a', DOMAIN, xml('vCard', { xmlns: NS_VCARD }, xml('FN', {}, 'Ann'))));
    assert.equal(res(await call('server', 'get', 'ann@example.com/a', 'ann@example.com', xml('vCard', { xmlns: NS_VCARD }), 'ann@example.com'))[0]?.getChildText('FN'), 'Ann');
    assert.equal(res(await call('account', 'get', 'bob@example.com/b', 'ann@example.com', xml('vCard', { xmlns: NS_VCARD }), 'ann@example.com'))[0]?.getChildText('FN'), 'Ann');
    assert.equal(err(await call('server', 'get', 'ann@example.com/a', DOMAIN, xml('vCard', { xmlns: NS_VCARD }), DOMAIN)), 'item-not-found', "the server's vCard");
  });

  test('too large is not-acceptable; setting another account or the domain is refused', async () => {
    assert.equal(err(await call('server', 'set', 'ann@example.com/a', DOMAIN, xml('vCard', { xmlns: NS_VCARD }, xml('NOTE', {}, 'x'.repeat(400))))), 'not-acceptable');
    assert.equal(err(await call('account', 'set', 'bob@example.com/b', 'ann@example.com', xml('vCard', { xmlns: NS_VCARD }))), 'forbidden');
    assert.equal(err(await call('server', 'set', 'ann@example.com/a', DOMAIN, xml('vCard', { xmlns: NS_VCARD }), DOMAIN)), 'not-allowed');
  });

  test('before-route answers a blocked requester item-not-found and passes everyone else', async () => {
    const hook = loaded.session.hooks.find((h) => h.beforeRoute)!.beforeRoute!;
    const iq = (from: string) => xml('iq', { type: 'get', from, to: 'cat@example.com', id: '1' }, xml('vCard', { xmlns: NS_VCARD }));
    const s = (from: string): InboundStanza => ({ env: env(), key: 'cat@example.com', stanza: iq(from), origin: undefined });
    await store.privacy.putList('cat@example.com', { name: 'block', items: [{ type: 'jid', value: 'eve@example.com', action: 'deny', order: 1, stanzas: [] }] });
    await store.privacy.setDefault('cat@example.com', 'block');
    failed.length = 0;
    assert.equal((await hook(s('eve@example.com/e'))).kind, 'handled');
    assert.deepEqual(failed, [{ condition: 'item-not-found' }]);
    assert.equal((await hook(s('dan@example.com/d'))).kind, 'pass');
    assert.equal((await hook({ ...s('eve@example.com/e'), stanza: xml('message', { from: 'eve@example.com/e', to: 'cat@example.com' }) })).kind, 'pass');
  });
});

describe('private storage module (XEP-0049)', () => {
  test('a fragment per namespace; the empty element when none; jabber:* and others refused', async () => {
    const q = (...c: Element[]) => xml('query', { xmlns: NS_PRIVATE }, ...c);
    const got = res(await call('server', 'get', 'ann@example.com/a', DOMAIN, q(xml('p', { xmlns: 'urn:x' }))))[0]!;
    assert.equal(got.toString(), "<query xmlns='jabber:iq:private'><p xmlns='urn:x'/></query>");
    res(await call('server', 'set', 'ann@example.com/a', DOMAIN, q(xml('p', { xmlns: 'urn:x' }, 'v'))));
    assert.equal(res(await call('server', 'get', 'ann@example.com/a', DOMAIN, q(xml('p', { xmlns: 'urn:x' }))))[0]?.getChild('p', 'urn:x')?.text(), 'v');
    assert.equal(err(await call('server', 'set', 'ann@example.com/a', DOMAIN, q(xml('q', { xmlns: 'jabber:iq:roster' })))), 'not-acceptable');
    assert.equal(err(await call('server', 'set', 'ann@example.com/a', DOMAIN, q(xml('p', { xmlns: 'urn:x' }), xml('r', { xmlns: 'urn:y' })))), 'bad-request');
    assert.equal(err(await call('server', 'set', 'ann@example.com/a', DOMAIN, q(xml('p', { xmlns: 'urn:x' }, 'z'.repeat(300))))), 'not-acceptable');
    assert.equal(err(await call('server', 'get', 'bob@example.com/b', 'ann@example.com', q(xml('p', { xmlns: 'urn:x' })))), 'forbidden');
    assert.equal(err(await call('account', 'get', 'bob@example.com/b', 'ann@example.com', q(xml('p', { xmlns: 'urn:x' })))), 'forbidden');
  });
});

describe('directory module (XEP-0055)', () => {
  const submit = (fields: Record<string, string>) =>
    xml('query', { xmlns: NS_SEARCH }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)))));
  const jids = (o: IqOutcome) => res(o)[0]!.getChild('x', 'jabber:x:data')!.getChildren('item').map((i) => i.getChildren('field').find((f) => f.attr('var') === 'jid')?.getChildText('value'));

  test('the edit command stores fields with their visibility, and rejects invalid input with bad-payload', async () => {
    const run = (payload: Element) => call('server', 'set', 'dora@example.com/d', DOMAIN, payload);
    const started = res(await run(xml('command', { xmlns: NS_COMMANDS, node: DIRECTORY_EDIT_NODE })))[0]!;
    const sessionid = started.attr('sessionid')!;
    const form = (fields: Record<string, string>) => xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))));
    const bad = await run(xml('command', { xmlns: NS_COMMANDS, node: DIRECTORY_EDIT_NODE, sessionid, action: 'complete' }, form({ birthyear: '19x5', 'birthyear#visibility': 'everyone' })));
    assert.ok('error' in bad && bad.error === 'bad-request' && bad.appCondition?.name === 'bad-payload');
    const done = res(await run(xml('command', { xmlns: NS_COMMANDS, node: DIRECTORY_EDIT_NODE, sessionid, action: 'complete' }, form({ name: 'Dora Explorer', 'name#visibility': 'everyone', birthyear: '1990', 'birthyear#visibility': 'contacts' }))))[0]!;
    assert.equal(done.attr('status'), 'completed');
    assert.deepEqual(await store.directory.get('dora@example.com'), [
      { field: 'birthyear', value: '1990', visibility: 'contacts' },
      { field: 'name', value: 'Dora Explorer', visibility: 'everyone' },
    ]);
  });

  test('search finds published fields only, skips owners who blocked the asker, and caps results', async () => {
    await store.directory.put('e1@example.com', [{ field: 'nickname', value: 'explorer one', visibility: 'everyone' }]);
    await store.directory.put('e2@example.com', [{ field: 'nickname', value: 'explorer two', visibility: 'everyone' }]);
    await store.directory.put('e3@example.com', [{ field: 'nickname', value: 'explorer three', visibility: 'everyone' }]);
    const ask = (from: string, f: Record<string, string>) => call('server', 'set', from, DOMAIN, submit(f));
    assert.deepEqual(jids(await ask('zed@example.com/z', { nickname: 'explorer' })), ['e1@example.com', 'e2@example.com'], 'capped at 2');
    assert.deepEqual(jids(await ask('zed@example.com/z', { birthyear: '1990' })), [], 'contacts only');
    await store.privacy.putList('e1@example.com', { name: 'b', items: [{ type: 'jid', value: 'zed@example.com', action: 'deny', order: 1, stanzas: [] }] });
    await store.privacy.setDefault('e1@example.com', 'b');
    assert.deepEqual(jids(await ask('zed@example.com/z', { nickname: 'explorer' })), ['e2@example.com', 'e3@example.com']);
    assert.equal(err(await ask('zed@example.com/z', { nosuch: 'x' })), 'bad-request');
  });
});

describe('contact addresses (XEP-0157)', () => {
  test('the configured addresses are one list-multi field per kind in the serverinfo form of the server only', async () => {
    assert.deepEqual([...parseContactAddresses('abuse=mailto:a@x xmpp:a@x;admin=xmpp:root@x')], [
      ['abuse', ['mailto:a@x', 'xmpp:a@x']],
      ['admin', ['xmpp:root@x']],
    ]);
    const mod = loadModules([contactAddresses('abuse=mailto:a@x xmpp:a@x;admin=xmpp:root@x')]);
    const info = mod.session.discoNodes[0]!.info!;
    const [form] = (await info({ to: parseJid(DOMAIN) } as SessionIqRequest, undefined))!;
    assert.equal(form!.toString(), "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/network/serverinfo</value></field><field var='abuse-addresses' type='list-multi'><value>mailto:a@x</value><value>xmpp:a@x</value></field><field var='admin-addresses' type='list-multi'><value>xmpp:root@x</value></field></x>");
    assert.equal(await info({ to: parseJid('ann@example.com') } as SessionIqRequest, undefined), undefined);
  });
});
