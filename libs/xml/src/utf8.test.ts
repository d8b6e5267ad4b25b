import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidUtf8, Utf8Stream } from './utf8.ts';

/** Decodes `bytes` split at `cuts` with Utf8Stream: the text, or null when it reported invalid UTF-8. */
function viaStream(bytes: Buffer, cuts: number[]): string | null {
  const s = new Utf8Stream();
  let out = '';
  let from = 0;
  try {
    for (const c of [...cuts, bytes.length]) {
      out += s.decode(bytes.subarray(from, c));
      from = c;
    }
    return out + s.end();
  } catch (err) {
    assert.ok(err instanceof InvalidUtf8);
    return null;
  }
}

/** The reference: WHATWG's fatal decoder over the whole input. */
function reference(bytes: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

// A small deterministic generator, so a failure is reproducible.
let seed = 0x2545f491;
const rand = (n: number) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};

test('valid text split at every byte position decodes to the same text', () => {
  const text = '<m>aé€😀\u0080\u07ff\u0800\uffff\u{10000}\u{10ffff}z</m>';
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i <= bytes.length; i++) {
    for (let j = i; j <= bytes.length; j++) assert.equal(viaStream(bytes, [i, j]), text, `cut at ${i}, ${j}`);
  }
});

test('random bytes, randomly split, are accepted or refused exactly as a fatal TextDecoder does', () => {
  const pieces = [0xbb, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xa0, 0xed, 0x9f, 0xef, 0xf0, 0x90, 0xf4, 0x8f, 0xf5, 0xff];
  for (let round = 0; round < 20_000; round++) {
    const len = 1 + rand(7);
    const bytes = Buffer.from(Array.from({ length: len }, () => pieces[rand(pieces.length)]!));
    const cuts = [rand(len + 1), rand(len + 1)].sort((a, b) => a - b);
    assert.equal(viaStream(bytes, cuts), reference(bytes), `bytes ${bytes.toString('hex')} cut at ${cuts}`);
  }
});

test('a byte order mark is dropped at the start of the stream only, also when split', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const bytes = Buffer.concat([bom, Buffer.from('<a/>'), bom]);
  for (let i = 0; i <= bytes.length; i++) assert.equal(viaStream(bytes, [i]), '<a/>\ufeff', `cut at ${i}`);
  const s = new Utf8Stream();
  assert.equal(s.decode(bom), '');
  s.reset();
  assert.equal(s.decode(Buffer.concat([bom, Buffer.from('b')])), 'b');
});

test('an invalid lead byte or second byte is refused in the chunk that carries it, not at the end', () => {
  for (const bad of [[0xff], [0xc0], [0xe0, 0x80], [0xed, 0xa0], [0xf4, 0x90], [0xf5]]) {
    const s = new Utf8Stream();
    assert.throws(() => s.decode(Buffer.from([0x61, ...bad])), InvalidUtf8, Buffer.from(bad).toString('hex'));
  }
});

test('a character cut off by the end of the stream is refused; reset forgets it', () => {
  const s = new Utf8Stream();
  assert.equal(s.decode(Buffer.from([0x61, 0xe2, 0x82])), 'a');
  assert.throws(() => s.end(), InvalidUtf8);
  assert.equal(s.decode(Buffer.from([0xe2])), '');
  s.reset();
  assert.equal(s.decode(Buffer.from('b')), 'b');
  assert.equal(s.end(), '');
});
