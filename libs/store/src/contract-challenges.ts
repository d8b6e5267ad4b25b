// Contact-request challenges (migration 0017) for every Sql implementation; run by pglite.test.ts and
// postgres.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storePerSuite } from './contract-accounts.ts';
import type { Sql } from './sql.ts';

export function runChallengeContract(name: string, open: () => Promise<Sql>): void {
  describe(`${name} contact-request challenges`, () => {
    const opened = storePerSuite(open);
    const d = 'challenges.example';

    test('questions are replaced as a whole, kept in order, and cleared by an empty list', async () => {
      const repo = opened().challenges;
      assert.deepEqual(await repo.questions(`alice@${d}`), []);
      const q1 = { id: 'q1', question: 'Where did we meet?', answers: [{ salt: 's1', hash: 'h1' }, { salt: 's2', hash: 'h2' }] };
      const q2 = { id: 'q2', question: 'My cat’s name?', answers: [{ salt: 's3', hash: 'h3' }] };
      await repo.setQuestions(`alice@${d}`, [q2, q1]);
      assert.deepEqual(await repo.questions(`alice@${d}`), [q2, q1]);
      assert.deepEqual(await repo.questions(`bob@${d}`), [], 'per owner');
      await repo.setQuestions(`alice@${d}`, [q1]);
      assert.deepEqual(await repo.questions(`alice@${d}`), [q1]);
      await repo.setQuestions(`alice@${d}`, []);
      assert.deepEqual(await repo.questions(`alice@${d}`), []);
    });

    test('a hold counts wrong answers while pending, changes state, and is taken once', async () => {
      const repo = opened().challenges;
      const owner = `carol@${d}`;
      await repo.putHold({ owner, requester: `eve@${d}`, id: 'c1', questionId: 'q1', stanza: '<presence type="subscribe"/>', state: 'pending', wrong: 0 });
      const h = await repo.hold(owner, `eve@${d}`);
      assert.equal(h?.id, 'c1');
      assert.equal(h?.state, 'pending');
      assert.deepEqual(await repo.holdById(owner, 'c1'), h);
      assert.equal(await repo.holdById(`other@${d}`, 'c1'), null, 'another owner’s challenge id is unknown');
      assert.equal(await repo.addWrong(owner, 'c1'), 1);
      assert.equal(await repo.addWrong(owner, 'c1'), 2);
      assert.deepEqual((await repo.pending(owner)).map((p) => p.requester), [`eve@${d}`]);
      assert.equal(await repo.setState(owner, 'c1', 'passed'), true);
      assert.equal(await repo.addWrong(owner, 'c1'), null, 'only a pending hold counts answers');
      assert.deepEqual(await repo.pending(owner), []);
      assert.equal(await repo.take(owner, `eve@${d}`, 'pending'), false, 'not in that state');
      const takes = await Promise.all([1, 2, 3].map(() => repo.take(owner, `eve@${d}`, 'passed')));
      assert.deepEqual(takes.filter(Boolean).length, 1, 'taken exactly once');
      assert.equal(await repo.hold(owner, `eve@${d}`), null);
    });

    test('a new request replaces the hold of the same requester', async () => {
      const repo = opened().challenges;
      const owner = `dave@${d}`;
      await repo.putHold({ owner, requester: `eve@${d}`, id: 'd1', questionId: 'q1', stanza: '<a/>', state: 'pending', wrong: 2 });
      await repo.putHold({ owner, requester: `eve@${d}`, id: 'd2', questionId: 'q2', stanza: '<b/>', state: 'pending', wrong: 0 });
      const h = await repo.hold(owner, `eve@${d}`);
      assert.deepEqual([h?.id, h?.questionId, h?.stanza, h?.wrong], ['d2', 'q2', '<b/>', 0]);
      assert.equal(await repo.holdById(owner, 'd1'), null);
      await repo.deleteHold(owner, `eve@${d}`);
      assert.equal(await repo.hold(owner, `eve@${d}`), null);
    });

    test('pending holds older than the cut-off expire once, oldest first; answered and newer ones stay', async () => {
      const repo = opened().challenges;
      const owner = `erin@${d}`;
      for (const [r, id] of [['f1', 'e1'], ['f2', 'e2'], ['f3', 'e3']] as const) {
        await repo.putHold({ owner, requester: `${r}@${d}`, id, questionId: 'q', stanza: '<x/>', state: 'pending', wrong: 0 });
      }
      await repo.setState(owner, 'e2', 'declined');
      const cutoff = new Date(Date.now() + 60_000);
      await repo.putHold({ owner: `other@${d}`, requester: `f4@${d}`, id: 'e4', questionId: 'q', stanza: '<x/>', state: 'pending', wrong: 0 });
      assert.deepEqual(await repo.expire(new Date(Date.now() - 60_000), 10), [], 'nothing is that old');
      const [first, second] = await Promise.all([repo.expire(cutoff, 10), repo.expire(cutoff, 10)]);
      const expired = [...first!, ...second!].filter((h) => h.owner === owner).map((h) => h.id).sort();
      assert.deepEqual(expired, ['e1', 'e3'], 'each pending hold once, the declined one kept');
      assert.equal((await repo.hold(owner, `f2@${d}`))?.state, 'declined');
      assert.equal(await repo.hold(owner, `f1@${d}`), null);
    });
  });
}
