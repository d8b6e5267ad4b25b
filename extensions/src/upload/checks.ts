// The content rules of the abuse issue applied to uploads (REQUIREMENTS.md, Threats), before a
// staged PUT body is stored: the bytes must be what the declared type says (no HTML or SVG passed
// off as an image), active types (markup that can run script) only when allowed and then only as
// a sandboxed download, the content filter's word list on text files, and an optional external
// scanner (ClamAV's clamdscan) run on the staged file.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { cleanText, type TextFindings, wordPattern } from '../content-filter/index.ts';

/** The bytes kept from the start of a body for the type checks. */
export const HEAD_BYTES = 512;

export interface ContentRules {
  /** Active types accepted anyway (served as a sandboxed attachment, never inline). */
  activeTypes: string[];
  /** The content filter's configured words. */
  words: string[];
  /** Program and arguments; the staged file's path is added as the last argument. */
  scanCommand: string[] | null;
  scanTimeoutMs: number;
}

export type Refusal = { ok: false; status: 415 | 422 | 503; reason: string; metric: RefusalReason; scanner?: string };
export type Verdict = { ok: true } | Refusal;
export type RefusalReason = 'active-type' | 'type-mismatch' | 'words' | 'scanner' | 'scanner-failed';

const refused = (status: 415 | 422 | 503, metric: RefusalReason, reason: string): Refusal => ({ ok: false, status, reason, metric });

/**
 * Types a browser may run script from when it renders them: HTML, SVG, any XML (XSLT, XHTML
 * islands) and script itself (WHATWG MIME Sniffing §4.6 "HTML, XML and JavaScript MIME types").
 */
export function isActiveType(type: string): boolean {
  const t = type.toLowerCase();
  return (
    t === 'text/html' ||
    t.endsWith('/xml') ||
    t.endsWith('+xml') ||
    /^(text|application)\/(x-)?(javascript|ecmascript)$/.test(t) ||
    t === 'text/xsl' ||
    t === 'application/x-shockwave-flash'
  );
}

/** Whether an active type was allowed by configuration; other types are not active. */
export function activeAllowed(type: string, allowed: string[]): boolean {
  return !isActiveType(type) || allowed.includes(type.toLowerCase());
}

const bytes = (head: Buffer, at: number, ...b: number[]) => b.every((x, i) => head[at + i] === x);
const ascii = (head: Buffer, at: number, s: string) => head.subarray(at, at + s.length).toString('latin1') === s;
const ftyp = (h: Buffer) => ascii(h, 4, 'ftyp');
const riff = (kind: string) => (h: Buffer) => ascii(h, 0, 'RIFF') && ascii(h, 8, kind);

/** WHATWG MIME Sniffing §6 signatures of the types people share most. */
const SIGNATURES: Record<string, (head: Buffer) => boolean> = {
  'image/png': (h) => bytes(h, 0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
  'image/jpeg': (h) => bytes(h, 0, 0xff, 0xd8, 0xff),
  'image/gif': (h) => ascii(h, 0, 'GIF87a') || ascii(h, 0, 'GIF89a'),
  'image/webp': riff('WEBP'),
  'image/avif': ftyp,
  'image/heic': ftyp,
  'image/heif': ftyp,
  'image/bmp': (h) => ascii(h, 0, 'BM'),
  'image/tiff': (h) => bytes(h, 0, 0x49, 0x49, 0x2a, 0x00) || bytes(h, 0, 0x4d, 0x4d, 0x00, 0x2a),
  'image/x-icon': (h) => bytes(h, 0, 0x00, 0x00, 0x01, 0x00),
  'image/vnd.microsoft.icon': (h) => bytes(h, 0, 0x00, 0x00, 0x01, 0x00),
  'application/pdf': (h) => ascii(h, 0, '%PDF-'),
  'application/zip': (h) => bytes(h, 0, 0x50, 0x4b, 0x03, 0x04) || bytes(h, 0, 0x50, 0x4b, 0x05, 0x06),
  'application/gzip': (h) => bytes(h, 0, 0x1f, 0x8b),
  'video/mp4': ftyp,
  'audio/mp4': ftyp,
  'audio/x-m4a': ftyp,
  'video/3gpp': ftyp,
  'audio/3gpp': ftyp,
  'video/quicktime': (h) => ['ftyp', 'moov', 'mdat', 'wide', 'free'].some((box) => ascii(h, 4, box)),
  'video/webm': (h) => bytes(h, 0, 0x1a, 0x45, 0xdf, 0xa3),
  'audio/webm': (h) => bytes(h, 0, 0x1a, 0x45, 0xdf, 0xa3),
  'video/x-matroska': (h) => bytes(h, 0, 0x1a, 0x45, 0xdf, 0xa3),
  'audio/ogg': (h) => ascii(h, 0, 'OggS'),
  'video/ogg': (h) => ascii(h, 0, 'OggS'),
  'audio/opus': (h) => ascii(h, 0, 'OggS'),
  'audio/flac': (h) => ascii(h, 0, 'fLaC'),
  'audio/wav': riff('WAVE'),
  'audio/x-wav': riff('WAVE'),
  'audio/mpeg': (h) => ascii(h, 0, 'ID3') || (h[0] === 0xff && ((h[1] ?? 0) & 0xe0) === 0xe0),
};

/**
 * WHATWG MIME Sniffing §7.1 step "HTML" patterns, plus SVG and the XML declaration: what a browser
 * that sniffs would render as a document. Leading whitespace and a UTF-8 byte order mark are skipped.
 */
const MARKUP = /^(?:\uFEFF)?[\t\n\f\r ]*<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--|svg|\?xml)[\t\n\f\r >/]/i;
export const looksLikeMarkup = (head: Buffer) => MARKUP.test(head.toString('utf8'));

/** The declared type against the first bytes (§5 of XEP-0363 leaves content checks to the service). */
export function typeMatches(type: string, head: Buffer): Verdict {
  const t = type.toLowerCase();
  const signature = SIGNATURES[t];
  if (signature && !signature(head)) return refused(415, 'type-mismatch', `the file is not ${t}`);
  const family = t.split('/')[0];
  // An image, sound or video of a type without a known signature may still not be a document.
  if ((family === 'image' || family === 'audio' || family === 'video') && !isActiveType(t) && looksLikeMarkup(head)) {
    return refused(415, 'type-mismatch', `the file is markup, not ${t}`);
  }
  // Text holds no NUL bytes (WHATWG MIME Sniffing §7.2 "binary data byte").
  if (family === 'text' && head.includes(0)) return refused(415, 'type-mismatch', `the file is binary data, not ${t}`);
  return { ok: true };
}

/**
 * The content filter's word list on a text file, read in chunks; the tail of each chunk is read
 * again with the next so a word split between two chunks is still found.
 */
export async function findsWords(path: string, words: string[]): Promise<boolean> {
  const pattern = wordPattern(words);
  if (!pattern) return false;
  const overlap = Math.max(...words.map((w) => [...w.trim()].length)) + 1;
  const decoder = new TextDecoder('utf-8');
  const found: TextFindings = { bidi: 0, control: 0, combining: 0, words: 0 };
  let carry = '';
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) {
    const text = carry + decoder.decode(chunk as Buffer, { stream: true });
    cleanText(text, pattern, found);
    if (found.words > 0) return true;
    carry = text.slice(-2 * overlap); // code units: a word of astral characters takes two each
  }
  cleanText(carry + decoder.decode(), pattern, found);
  return found.words > 0;
}

/** Runs the scanner on the staged file: exit 0 accepts, any other exit refuses; no answer in time refuses too. */
export function scan(command: string[], path: string, timeoutMs: number): Promise<{ clean: boolean; failed?: string; output: string }> {
  const [program, ...args] = command;
  return new Promise((resolve) => {
    execFile(program!, [...args, path], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim().slice(0, 500);
      if (!err) return resolve({ clean: true, output });
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
      if (e.killed) return resolve({ clean: false, failed: `the scanner did not answer in ${timeoutMs} ms`, output });
      if (typeof e.code !== 'number') return resolve({ clean: false, failed: `the scanner could not run: ${e.message}`, output });
      resolve({ clean: false, output });
    });
  });
}

/** Every rule, cheapest first; the first refusal wins. */
export async function checkUpload(rules: ContentRules, type: string, head: Buffer, path: string): Promise<Verdict> {
  if (!activeAllowed(type, rules.activeTypes)) return refused(415, 'active-type', `files of type ${type} can run script in a browser and are not accepted here`);
  const matches = typeMatches(type, head);
  if (!matches.ok) return matches;
  if (type.toLowerCase().startsWith('text/') && (await findsWords(path, rules.words))) return refused(422, 'words', 'the file contains words this server filters');
  if (rules.scanCommand) {
    const r = await scan(rules.scanCommand, path, rules.scanTimeoutMs);
    if (r.failed) return { ...refused(503, 'scanner-failed', 'the file could not be scanned; try again later'), scanner: `${r.failed} ${r.output}` };
    if (!r.clean) return { ...refused(422, 'scanner', 'the file was refused by the malware scanner'), scanner: r.output };
  }
  return { ok: true };
}
