// XEP-0198 §5 resumption on one connection, driven without sockets over the in-memory location
// service: enable with resume, detach on loss, resume elsewhere with exactly the unacknowledged
// deliveries, and the refusals (§5: item-not-found, with h when the stream is known).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StreamApi } from '@parley/ext';
import { type Jid, parseJid } from '@parley/jid';
import { MemoryLocation, type ResourceEntry } from '@parley/location';
import { silentLogger } from '@parley/log';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import { type SmConnectionHooks, smConnection } from './edge.ts';

const JID = 'a@example.com/phone';

function connection(location: MemoryLocation, id: string, account = 'a@example.com', bound: string | null = JID) {
  const sent: Element[] = [];
  const stanzas: Array<[string, string]> = [];
  const kicked: string[] = [];
  let jid: Jid | null = bound ? parseJid(bound) : null;
  let opened: ResourceEntry | null = null;
  const api = {
    id,
    log: silentLogger,
    edgeId: `edge-of-${id}`,
    location,
    jid: () => jid,
    account: () => account,
    send: (el: Element) => sent.push(el),
    streamError: () => {},
    isClosed: () => false,
    patchEntry: (p: object) => void location.update(JID, id, p),
    acknowledged: (ids: string[]) => void location.outboxAck(id, ids),
    holdInput: () => () => {},
    attach: (j: Jid) => {
      jid = j;
      return {
        open: (e: ResourceEntry) => {
          opened = e;
        },
        cancel: () => {
          jid = null;
        },
      };
    },
    resend: (text: string, deliveryId: string) => {
      stanzas.push([text, deliveryId]);
      hooks.stanzaOut!(text, deliveryId);
    },
    release: () => {},
    kick: (e: ResourceEntry) => kicked.push(e.conn),
    sessionsGone: () => {},
  } as unknown as StreamApi;
  const hooks: SmConnectionHooks = smConnection(api, { resumeMs: 60_000, metrics: null });
  return { hooks, sent, stanzas, kicked, opened: () => opened };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('XEP-0198 resumption', () => {
  test('a lost connection detaches; another connection resumes it with exactly what h does not cover', async () => {
    const loc = new MemoryLocation();
    await loc.register({ jid: JID, edge: 'edge-of-c1', conn: 'c1', priority: 0, available: true });
    const old = connection(loc, 'c1');
    old.hooks.nonza!(xml('enable', { xmlns: NS.sm, resume: 'true' }), true);
    const enabled = old.sent.find((e) => e.is('enabled', NS.sm))!;
    const previd = enabled.attr('id')!;
    assert.equal(enabled.attr('resume'), 'true');
    assert.equal(enabled.attr('max'), '60');
    // Two stanzas from the client, handled; three kept deliveries written to it.
    old.hooks.stanzaIn!()!();
    old.hooks.stanzaIn!()!();
    for (const n of [1, 2, 3]) {
      await loc.outboxPut('c1', `d${n}`, `<message id="${n}"/>`, JID);
      old.hooks.stanzaOut!(`<message id="${n}"/>`, `d${n}`);
    }
    await loc.outboxPut('c1', 'd4', '<message id="4"/>', JID); // queued, never written
    await settle();
    assert.equal(await old.hooks.ended!(false), true, 'kept: detached, not gone');
    assert.ok((await loc.resources('a@example.com'))[0]?.detached);

    const fresh = connection(loc, 'c2', 'a@example.com', null);
    const answers: Element[] = [];
    await fresh.hooks.resumeSm(previd, 1, (el) => answers.push(el));
    assert.equal(answers[0]?.name, 'resumed');
    assert.equal(answers[0]?.attr('h'), '2', 'the server handled both stanzas');
    // The client had message 1 (h=1): 2 and 3 are written again, 4 for the first time.
    assert.deepEqual(fresh.stanzas.map(([, id]) => id), ['d2', 'd3', 'd4']);
    assert.equal(fresh.opened()?.conn, 'c2');
    assert.deepEqual(fresh.kicked, [], 'a detached session has no connection to close');
    // Stanzas after resumption continue the numbering the actors de-duplicate on.
    fresh.hooks.stanzaIn!();
    assert.equal(fresh.hooks.handOffId!(), `${previd}:3`);
    // The stream can be resumed again (its id stays); the attached connection holding it is closed.
    const again = connection(loc, 'c3', 'a@example.com', null);
    const third: Element[] = [];
    await again.hooks.resumeSm(previd, 0, (el) => third.push(el));
    assert.equal(third[0]?.name, 'resumed', 'the stream id stays the same for the next resumption');
    assert.deepEqual(again.kicked, ['c2'], 'the attached connection it took over is closed');
  });

  test('unknown ids and other accounts get item-not-found; a clean close ends the stream', async () => {
    const loc = new MemoryLocation();
    await loc.register({ jid: JID, edge: 'e', conn: 'c1', priority: 0, available: true });
    const old = connection(loc, 'c1');
    old.hooks.nonza!(xml('enable', { xmlns: NS.sm, resume: 'true' }), true);
    const previd = old.sent[0]!.attr('id')!;
    await settle();
    const answers: Element[] = [];
    await connection(loc, 'x', 'a@example.com', null).hooks.resumeSm('nope', 0, (el) => answers.push(el));
    await connection(loc, 'y', 'mallory@example.com', null).hooks.resumeSm(previd, 0, (el) => answers.push(el));
    assert.deepEqual(
      answers.map((a) => [a.name, a.getChildElements()[0]?.name]),
      [
        ['failed', 'item-not-found'],
        ['failed', 'item-not-found'],
      ],
    );
    assert.equal(await old.hooks.ended!(true), false, 'a stream the client closed is over');
    assert.equal(await loc.smGet(previd), null);
  });

  test('without resume requested, <enabled/> has no id and a loss ends the session as before', () => {
    const loc = new MemoryLocation();
    const c = connection(loc, 'c1');
    c.hooks.nonza!(xml('enable', { xmlns: NS.sm }), true);
    assert.equal(c.sent[0]?.attr('id'), undefined);
    assert.equal(c.hooks.ended!(false), undefined);
    c.hooks.stanzaIn!();
    assert.equal(c.hooks.handOffId!(), undefined);
  });
});
