// Accepted answers are never stored: only a salted scrypt digest of the normalised answer, one salt
// per answer, compared in constant time.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { AnswerDigest } from '@parley/store';

/** Compatibility-folded (NFKC), lower-cased, trimmed, inner whitespace collapsed: "  Paris " = "paris". */
export const normaliseAnswer = (text: string): string => text.normalize('NFKC').toLowerCase().trim().replace(/\s+/gu, ' ');

const derive = (answer: string, salt: string): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    scrypt(normaliseAnswer(answer), Buffer.from(salt, 'hex'), 32, { N: 16384, r: 8, p: 1 }, (err, key) => (err ? reject(err) : resolve(key)));
  });

export async function hashAnswer(answer: string): Promise<AnswerDigest> {
  const salt = randomBytes(16).toString('hex');
  return { salt, hash: (await derive(answer, salt)).toString('hex') };
}

/** Whether `answer` matches one of the accepted digests (each is tried, so timing does not tell which). */
export async function answerMatches(answer: string, accepted: AnswerDigest[]): Promise<boolean> {
  let ok = false;
  for (const a of accepted) {
    const want = Buffer.from(a.hash, 'hex');
    const got = await derive(answer, a.salt);
    if (want.length === got.length && timingSafeEqual(want, got)) ok = true;
  }
  return ok;
}
