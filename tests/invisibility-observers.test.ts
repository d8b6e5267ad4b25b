// Item 3 of the privacy issue, checked channel by channel: to a stranger, a blocked user and a
// contact, an invisible user is indistinguishable from an offline one (docs/privacy.md lists the
// channels). Each observer runs the same probes against Olivia (offline) and Ivy (online,
// invisible), who have the same relationships; the transcripts must be equal. A contact Ivy sent
// directed presence to must see a difference, which shows the probes can see one. The probes live in
// tests/harness/observers.ts, shared with the cluster variant (tests/cluster/scenarios/invisibility.ts).
import { describe, test } from 'node:test';
import { castPerFile } from './harness/cast.ts';
import { compareObservers, type Connect, setUp } from './harness/observers.ts';

const T = { timeout: 120_000 };
const cast = castPerFile();

describe('an invisible user looks offline to everyone not allowed to see her (embedded)', () => {
  test('stranger, blocked user and contact get the same transcript from Olivia (offline) and Ivy (invisible); a contact she showed herself to does not', T, async () => {
    const connect: Connect = (a, resource) => cast.xmppjs(a, resource);
    const people = {
      olivia: await cast.account('obsolivia'),
      ivy: await cast.account('obsivy'),
      stranger: await cast.account('obsstranger'),
      blocked: await cast.account('obsblocked'),
      contact: await cast.account('obscontact'),
      friend: await cast.account('obsfriend'),
    };
    await setUp(connect, people);
    await compareObservers(connect, people);
  });
});
