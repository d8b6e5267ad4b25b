// Dangerous content (REQUIREMENTS.md, Threats: "boot codes", markup floods): every message to an
// account is cleaned in the recipient's session actor before anything else happens to it
// ('before-route'), so live delivery, carbons, offline storage and archives all see the filtered
// version: XHTML-IM reduced to XEP-0071's safe subset, Unicode tricks removed, bodies over the
// length limit refused (RFC 6120 §8.3.3.12 policy-violation), configured words masked.
import { type ExtensionModule, PASS, refuse, rewrite } from '@parley/ext';
import type { Element } from '@parley/xml';
import { Counter, type Registry } from 'prom-client';
import { cleanText, type TextFindings, wordPattern } from './text.ts';
import { NS_XHTML_IM, sanitizeXhtml } from './xhtml.ts';

export { cleanText, type TextFindings, wordPattern } from './text.ts';
export { NS_XHTML, NS_XHTML_IM, safeStyle, sanitizeXhtml } from './xhtml.ts';

export interface ContentFilterOptions {
  /** Longest <body/> in characters (code points). */
  maxBodyChars: number;
  /** Words masked with asterisks (case-insensitive, whole words). */
  words?: string[];
  registry?: Registry;
}

export type FilterOutcome = { kind: 'same' } | { kind: 'cleaned'; stanza: Element; found: Findings } | { kind: 'too-long' };

export interface Findings extends TextFindings {
  xhtml: number;
}

/** Clean one message; pure, so it is unit-tested and fuzzed on its own. */
export function filterMessage(stanza: Element, opts: { maxBodyChars: number; words: RegExp | null }): FilterOutcome {
  const bodies = stanza.getChildren('body');
  for (const b of bodies) if (codePoints(b.text()) > opts.maxBodyChars) return { kind: 'too-long' };
  const html = stanza.getChild('html', NS_XHTML_IM);
  const texts = [...bodies, ...stanza.getChildren('subject')];
  const found: Findings = { bidi: 0, control: 0, combining: 0, words: 0, xhtml: 0 };
  const clean = (t: string) => cleanText(t, opts.words, found);
  // Cheap first pass: most messages have nothing to clean and are passed on untouched.
  if (!html && texts.every((t) => clean(t.text()) === t.text())) return { kind: 'same' };
  Object.assign(found, { bidi: 0, control: 0, combining: 0, words: 0 });
  const copy = stanza.clone();
  for (const t of [...copy.getChildren('body'), ...copy.getChildren('subject')]) {
    const cleaned = clean(t.text());
    t.children = [];
    t.append(cleaned);
  }
  const htmlCopy = copy.getChild('html', NS_XHTML_IM);
  if (htmlCopy) {
    const xf = { removed: 0 };
    const safe = sanitizeXhtml(htmlCopy, xf, clean);
    found.xhtml += xf.removed;
    const i = copy.children.indexOf(htmlCopy);
    copy.remove(htmlCopy);
    if (safe) {
      copy.children.splice(i, 0, safe);
      safe.parent = copy;
    }
  }
  if (found.bidi + found.control + found.combining + found.words + found.xhtml === 0) return { kind: 'same' };
  return { kind: 'cleaned', stanza: copy, found };
}

function codePoints(s: string): number {
  if (s.length < 0x4000) {
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0xdc00 || c > 0xdfff) n++;
    }
    return n;
  }
  return [...s].length;
}

export function contentFilter(opts: ContentFilterOptions): ExtensionModule {
  const words = wordPattern(opts.words ?? []);
  const filtered = new Counter({
    name: 'parley_content_filtered_total',
    help: 'Messages changed or refused by the content filter, by what was found',
    labelNames: ['what'],
    registers: opts.registry ? [opts.registry] : [],
  });
  return {
    name: 'content-filter',
    specs: ['XEP-0071 §7-8', 'RFC 6120 §8.3.3.12'],
    settings: ['contentMaxBodyChars', 'contentWordFilter'],
    metrics: ['parley_content_filtered_total'],
    session: {
      beforeRoute({ stanza, env }) {
        if (stanza.name !== 'message' || stanza.attr('type') === 'error') return PASS;
        const r = filterMessage(stanza, { maxBodyChars: opts.maxBodyChars, words });
        if (r.kind === 'same') return PASS;
        if (r.kind === 'too-long') {
          filtered.inc({ what: 'too-long' });
          return refuse('policy-violation', `the message body is longer than ${opts.maxBodyChars} characters`);
        }
        for (const [what, n] of Object.entries(r.found)) if (n > 0) filtered.inc({ what });
        env.log.debug('message content filtered', { from: stanza.attr('from'), found: r.found });
        return rewrite(r.stanza);
      },
    },
  };
}
