// What "safe to deliver" means for the content filter (docs/security.md), checked on the
// serialized message a client receives: shared by the filter's unit test and the conversation test.
import { readFileSync } from 'node:fs';

export interface CorpusEntry {
  name: string;
  note: string;
  /** The children of a <message/>, as XML. */
  payload: string;
  /** The server must refuse it (policy-violation) rather than deliver a cleaned copy. */
  refused: boolean;
}

export function loadContentCorpus(): CorpusEntry[] {
  return JSON.parse(readFileSync(new URL('../abuse-corpus/content.json', import.meta.url), 'utf8')) as CorpusEntry[];
}

const CHECKS: Array<[RegExp, string]> = [
  [/<script/i, 'a script element'],
  [/\son[a-z]+=/i, 'an event attribute'],
  [/javascript:/i, 'a javascript: URL'],
  [/=['"]\s*data:/i, 'a data: URL'],
  [/url\(|expression\(|@import/i, 'a style that loads something'],
  [/<(iframe|object|embed|svg|frame)\b/i, 'an embedding element'],
  [/[\u202A-\u202E\u2066-\u2069]/, 'a bidi override, embedding or isolate'],
  [/[\u0080-\u009F]/, 'a C1 control character'],
  [/\p{M}{7,}/u, 'more than 6 combining marks in a row'],
];

/** What is wrong with a delivered message; [] when it is safe. */
export function safetyProblems(serialized: string): string[] {
  return CHECKS.filter(([re]) => re.test(serialized)).map(([, what]) => what);
}
