// Shared by the tests only: runs a StreamParser and records what it emitted.
import { StreamParser, type XmlError, type XmlLimits } from './index.ts';

export const HEADER =
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
export const FOOTER = '</stream:stream>';

export interface Recorded {
  events: string[];
  errors: XmlError[];
  parser: StreamParser;
}

/** Events as strings: `start <name>`, `stanza <xml>`, `end`, `error <condition>`. */
export function record(limits?: Partial<XmlLimits>): Recorded {
  const events: string[] = [];
  const errors: XmlError[] = [];
  const parser = new StreamParser(
    {
      onStreamStart: (name) => events.push(`start ${name}`),
      onStanza: (el) => events.push(`stanza ${el.toString()}`),
      onStreamEnd: () => events.push('end'),
      onError: (err) => {
        errors.push(err);
        events.push(`error ${err.condition}`);
      },
    },
    limits,
  );
  return { events, errors, parser };
}

/** Feeds the chunks then end(), and returns the events. */
export function parseChunks(chunks: Array<string | Uint8Array>, limits?: Partial<XmlLimits>): Recorded {
  const r = record(limits);
  for (const c of chunks) r.parser.write(c);
  r.parser.end();
  return r;
}

/** The condition of the first error for a whole stream given as one string, or 'ok'. */
export function outcome(stream: string, limits?: Partial<XmlLimits>): string {
  const r = parseChunks([Buffer.from(stream)], limits);
  return r.errors[0]?.condition ?? 'ok';
}
