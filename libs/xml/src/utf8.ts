// UTF-8 decoding of one stream's bytes, split anywhere, without a TextDecoder per stream: each
// TextDecoder holds an ICU converter (about 1.2 KiB of native memory), and an edge holds one stream
// parser per connection (decision 0038). A chunk's complete characters are checked with isUtf8 and
// decoded with Buffer#toString; an incomplete character at its end waits for the next chunk.
import { isUtf8 } from 'node:buffer';

/** Thrown for bytes that are not UTF-8 (RFC 6120 §4.9.3.22 makes that <unsupported-encoding/>). */
export class InvalidUtf8 extends Error {}

/** Bytes a sequence starting with `lead` has, or 0 when `lead` cannot start one (RFC 3629 §4). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** RFC 3629 §4: the range of the byte after `lead` (no overlongs, no surrogates, nothing past U+10FFFF). */
function secondByteOk(lead: number, b: number): boolean {
  if (lead === 0xe0) return b >= 0xa0 && b <= 0xbf;
  if (lead === 0xed) return b >= 0x80 && b <= 0x9f;
  if (lead === 0xf0) return b >= 0x90 && b <= 0xbf;
  if (lead === 0xf4) return b >= 0x80 && b <= 0x8f;
  return b >= 0x80 && b <= 0xbf;
}

/**
 * How many bytes at the end of `bytes` are the valid beginning of a character still to come (0–3);
 * 0 also when they are invalid, so the check of the whole chunk rejects them at once.
 */
function incompleteTail(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    const need = sequenceLength(b);
    if (need <= back) return 0; // complete (or not a lead byte at all): isUtf8 judges it
    if (back >= 2 && !secondByteOk(b, bytes[n - back + 1]!)) return 0;
    return back;
  }
  return 0;
}

export class Utf8Stream {
  /** The start of a character split across chunks (at most 3 bytes). */
  private pending: Buffer | null = null;
  /** No character decoded yet: a byte order mark here is dropped, as TextDecoder does (WHATWG Encoding §6). */
  private atStart = true;

  /** The text of `chunk`'s complete characters; throws InvalidUtf8. */
  decode(chunk: Uint8Array): string {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pending) {
      bytes = Buffer.concat([this.pending, bytes]);
      this.pending = null;
    }
    const cut = incompleteTail(bytes);
    if (cut > 0) {
      this.pending = Buffer.from(bytes.subarray(bytes.length - cut));
      bytes = bytes.subarray(0, bytes.length - cut);
    }
    if (!isUtf8(bytes)) throw new InvalidUtf8('invalid UTF-8');
    const text = bytes.toString('utf8');
    if (!this.atStart || text.length === 0) return text;
    this.atStart = false;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  /** The stream ended: a character still incomplete is invalid. */
  end(): string {
    const truncated = this.pending !== null;
    this.reset();
    if (truncated) throw new InvalidUtf8('truncated UTF-8');
    return '';
  }

  /** Forget a partial character (the stream restarts). */
  reset(): void {
    this.pending = null;
    this.atStart = true;
  }
}
