// Contact-request challenges (migration 0017): a user's questions with hashed accepted answers, and
// the subscription requests held until the requester answers one.
import type { Sql } from './sql.ts';

/** One accepted answer: a per-answer salt and the digest of the normalised answer (the module hashes). */
export interface AnswerDigest {
  salt: string;
  hash: string;
}

export interface ChallengeQuestion {
  id: string;
  question: string;
  answers: AnswerDigest[];
}

export type HoldState = 'pending' | 'passed' | 'declined';

export interface ChallengeHold {
  owner: string;
  requester: string;
  /** The challenge id the form carries in a hidden field. */
  id: string;
  questionId: string;
  /** The held subscription request. */
  stanza: string;
  state: HoldState;
  wrong: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ChallengeRepo {
  /** The owner's questions in order. */
  questions(owner: string): Promise<ChallengeQuestion[]>;
  /** Replaces all of the owner's questions (an empty list clears them). */
  setQuestions(owner: string, questions: ChallengeQuestion[]): Promise<void>;
  hold(owner: string, requester: string): Promise<ChallengeHold | null>;
  holdById(owner: string, id: string): Promise<ChallengeHold | null>;
  /** Creates or replaces the hold of (owner, requester). */
  putHold(h: { owner: string; requester: string; id: string; questionId: string; stanza: string; state: HoldState; wrong: number }): Promise<void>;
  /** Counts one wrong answer of a pending hold; returns the new count (null when it is not pending). */
  addWrong(owner: string, id: string): Promise<number | null>;
  setState(owner: string, id: string, state: HoldState): Promise<boolean>;
  /** Removes the hold if it is in `state`, atomically: true for the one caller that removed it. */
  take(owner: string, requester: string, state: HoldState): Promise<boolean>;
  /** Pending holds of an owner, oldest first. */
  pending(owner: string): Promise<ChallengeHold[]>;
  deleteHold(owner: string, requester: string): Promise<void>;
  /**
   * Removes up to `limit` pending holds created before `before`, oldest first, and returns them; each
   * is returned to one caller only, however many processes sweep at once.
   */
  expire(before: Date, limit: number): Promise<ChallengeHold[]>;
}

interface QRow {
  id: string;
  question: string;
  answers: string;
}
interface HRow {
  owner: string;
  requester: string;
  id: string;
  question_id: string;
  stanza: string;
  state: HoldState;
  wrong: number;
  created_at: Date | string;
  updated_at: Date | string;
}
const fromHold = (r: HRow): ChallengeHold => ({
  owner: r.owner,
  requester: r.requester,
  id: r.id,
  questionId: r.question_id,
  stanza: r.stanza,
  state: r.state,
  wrong: Number(r.wrong),
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});
const HCOLS = 'owner, requester, id, question_id, stanza, state, wrong, created_at, updated_at';

export function challengeRepo(sql: Sql): ChallengeRepo {
  return {
    async questions(owner) {
      const rows = await sql.query<QRow>('SELECT id, question, answers FROM challenge_questions WHERE owner = $1 ORDER BY position', [owner]);
      return rows.map((r) => ({ id: r.id, question: r.question, answers: JSON.parse(r.answers) as AnswerDigest[] }));
    },
    async setQuestions(owner, questions) {
      await sql.transaction(async (tx) => {
        await tx.query('DELETE FROM challenge_questions WHERE owner = $1', [owner]);
        let position = 0;
        for (const q of questions) {
          await tx.query('INSERT INTO challenge_questions (owner, id, position, question, answers) VALUES ($1, $2, $3, $4, $5)', [owner, q.id, position++, q.question, JSON.stringify(q.answers)]);
        }
      });
    },
    async hold(owner, requester) {
      const rows = await sql.query<HRow>(`SELECT ${HCOLS} FROM challenge_holds WHERE owner = $1 AND requester = $2`, [owner, requester]);
      return rows[0] ? fromHold(rows[0]) : null;
    },
    async holdById(owner, id) {
      const rows = await sql.query<HRow>(`SELECT ${HCOLS} FROM challenge_holds WHERE owner = $1 AND id = $2`, [owner, id]);
      return rows[0] ? fromHold(rows[0]) : null;
    },
    async putHold(h) {
      await sql.query(
        `INSERT INTO challenge_holds (owner, requester, id, question_id, stanza, state, wrong) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (owner, requester) DO UPDATE SET id = EXCLUDED.id, question_id = EXCLUDED.question_id, stanza = EXCLUDED.stanza,
           state = EXCLUDED.state, wrong = EXCLUDED.wrong, created_at = now(), updated_at = now()`,
        [h.owner, h.requester, h.id, h.questionId, h.stanza, h.state, h.wrong],
      );
    },
    async addWrong(owner, id) {
      const rows = await sql.query<{ wrong: number }>(
        `UPDATE challenge_holds SET wrong = wrong + 1, updated_at = now() WHERE owner = $1 AND id = $2 AND state = 'pending' RETURNING wrong`,
        [owner, id],
      );
      return rows[0] ? Number(rows[0].wrong) : null;
    },
    async setState(owner, id, state) {
      const rows = await sql.query('UPDATE challenge_holds SET state = $3, updated_at = now() WHERE owner = $1 AND id = $2 RETURNING id', [owner, id, state]);
      return rows.length > 0;
    },
    async take(owner, requester, state) {
      const rows = await sql.query('DELETE FROM challenge_holds WHERE owner = $1 AND requester = $2 AND state = $3 RETURNING id', [owner, requester, state]);
      return rows.length > 0;
    },
    async pending(owner) {
      const rows = await sql.query<HRow>(`SELECT ${HCOLS} FROM challenge_holds WHERE owner = $1 AND state = 'pending' ORDER BY created_at, requester`, [owner]);
      return rows.map(fromHold);
    },
    async deleteHold(owner, requester) {
      await sql.query('DELETE FROM challenge_holds WHERE owner = $1 AND requester = $2', [owner, requester]);
    },
    async expire(before, limit) {
      // The state is checked again by the DELETE: a hold answered meanwhile is not expired.
      const rows = await sql.query<HRow>(
        `DELETE FROM challenge_holds h USING (
           SELECT owner, requester FROM challenge_holds WHERE state = 'pending' AND created_at < $1
           ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) old
         WHERE h.owner = old.owner AND h.requester = old.requester AND h.state = 'pending'
         RETURNING ${HCOLS.split(', ').map((c) => `h.${c}`).join(', ')}`,
        [before.toISOString(), limit],
      );
      return rows.map(fromHold);
    },
  };
}
