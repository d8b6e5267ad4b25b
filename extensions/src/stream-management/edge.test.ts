// XEP-0198 on one connection, driven without sockets: what the edge acknowledges is what its
// actors accepted, never more (ARCHITECTURE.md, Actors).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StreamApi } from '@parley/ext';
import { parseJid } from '@parley/jid';
import { MemoryLocation } from '@parley/location';
import { silentLogger } from '@parley/log';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import { smConnection } from './edge.ts';

function connection() {
  const sent: Element[] = [];
  const acked: string[] = [];
  const patches: unknown[] = [];
  let error: string | null = null;
  const api = {
    id: 'c1',
    log: silentLogger,
    jid: () => parseJid('a@example.com/r'),
    send: (el: Element) => sent.push(el),
    streamError: (c: string) => {
      error = c;
    },
    isClosed: () => false,
    patchEntry: (p: unknown) => patches.push(p),
    acknowledged: (ids: string[]) => acked.push(...ids),
    holdInput: () => () => {},
  } as unknown as StreamApi;
  const hooks = smConnection(api, null);
  const nonza = (name: string, attrs: Record<string, string> = {}) => hooks.nonza!(xml(name, { xmlns: NS.sm, ...attrs }), true);
  const acks = () => sent.filter((e) => e.is('a', NS.sm)).map((e) => Number(e.attr('h')));
  return { hooks, sent, acked, patches, nonza, acks, error: () => error };
}

describe('stream management acknowledgements', () => {
  test('an ack request is answered only once the stanzas before it were accepted by their actors', () => {
    const c = connection();
    c.nonza('enable');
    const accepted = [c.hooks.stanzaIn!()!, c.hooks.stanzaIn!()!];
    c.nonza('r');
    assert.deepEqual(c.acks(), [], 'nothing acknowledged while both stanzas are on their way');
    accepted[1]!();
    assert.deepEqual(c.acks(), [], 'the second accepted before the first still counts nothing');
    accepted[0]!();
    assert.deepEqual(c.acks(), [2]);
  });

  test('a stanza received after the request does not hold its answer back', () => {
    const c = connection();
    c.nonza('enable');
    const first = c.hooks.stanzaIn!()!;
    c.nonza('r');
    const later = c.hooks.stanzaIn!()!;
    first();
    assert.deepEqual(c.acks(), [1]);
    later();
    c.nonza('r');
    assert.deepEqual(c.acks(), [1, 2]);
  });

  test('with nothing in flight the answer is immediate', () => {
    const c = connection();
    c.nonza('enable');
    c.hooks.stanzaIn!()!();
    c.nonza('r');
    assert.deepEqual(c.acks(), [1]);
  });

  test('enabling marks the location entry so actors keep deliveries', () => {
    const c = connection();
    c.nonza('enable');
    assert.ok(c.sent[0]!.is('enabled', NS.sm));
    assert.deepEqual(c.patches, [{ sm: true }]);
  });

  test('kept deliveries are released when the client acknowledges them', () => {
    const c = connection();
    c.nonza('enable');
    c.hooks.stanzaOut!('<presence/>', undefined);
    c.hooks.stanzaOut!('<message><body>1</body></message>', 'd1');
    c.hooks.stanzaOut!('<message><body>2</body></message>', 'd2');
    c.nonza('a', { h: '2' });
    assert.deepEqual(c.acked, ['d1']);
    c.nonza('a', { h: '3' });
    assert.deepEqual(c.acked, ['d1', 'd2']);
  });

  test('acknowledging more than was sent is a stream error', () => {
    const c = connection();
    c.nonza('enable');
    c.nonza('a', { h: '5' });
    assert.equal(c.error(), 'undefined-condition');
  });

  test('before binding, before enabling, or enabling twice fails with unexpected-request', () => {
    const c = connection();
    c.hooks.nonza!(xml('enable', { xmlns: NS.sm }), false);
    c.nonza('r');
    c.nonza('enable');
    c.nonza('enable');
    const failed = c.sent.filter((e) => e.is('failed', NS.sm));
    assert.equal(failed.length, 3);
    assert.ok(failed.every((f) => f.getChild('unexpected-request')));
  });

  test('a resume request is refused with feature-not-implemented, before or after enabling (§5)', () => {
    const c = connection();
    c.hooks.nonza!(xml('resume', { xmlns: NS.sm, h: '0', previd: 'x' }), false);
    c.nonza('enable');
    c.nonza('resume', { h: '0', previd: 'x' });
    const failed = c.sent.filter((e) => e.is('failed', NS.sm));
    assert.equal(failed.length, 2);
    assert.ok(failed.every((f) => f.getChild('feature-not-implemented')));
  });

  test('an element only a server sends, once enabled, is an unsupported-stanza-type stream error', () => {
    const c = connection();
    c.nonza('enable');
    c.nonza('enabled');
    assert.equal(c.error(), 'unsupported-stanza-type');
  });

  test('before enable nothing is counted', () => {
    const c = connection();
    assert.equal(c.hooks.stanzaIn!(), undefined);
  });
});

describe('deliveries the bus lost (decision 0022)', () => {
  test('after a bus interruption, what the outbox holds and was never written to the stream is written again, once', async () => {
    const location = new MemoryLocation();
    await location.outboxPut('c1', 'd-written', '<message id="1"/>');
    await location.outboxPut('c1', 'd-lost', '<message id="2"/>');
    await location.outboxSent('c1', [['d-written', 1]]);
    const written: string[] = [];
    const seen = new Set<string>();
    const api = {
      id: 'c1',
      log: silentLogger,
      location,
      jid: () => parseJid('a@example.com/r'),
      send: () => {},
      isClosed: () => false,
      patchEntry: () => {},
      acknowledged: () => {},
      // As the connection does: once per delivery id.
      resend: (text: string, id: string) => {
        if (seen.has(id)) return false;
        seen.add(id);
        written.push(text);
        return true;
      },
    } as unknown as StreamApi;
    const hooks = smConnection(api, null);
    assert.equal(await hooks.deliveriesMayBeLost!(), 0, 'nothing is kept for a stream without stream management');
    hooks.nonza!(xml('enable', { xmlns: NS.sm }), true);
    assert.equal(await hooks.deliveriesMayBeLost!(), 1);
    assert.deepEqual(written, ['<message id="2"/>']);
    assert.equal(await hooks.deliveriesMayBeLost!(), 0, 'a second pass writes nothing twice');
  });
});
