/** Parsing helpers shared by the mechanisms: bounded size, strict UTF-8, strict base64. */
export const MAX_MESSAGE_OCTETS = 4096;

const decoder = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(data: Buffer): string | null {
  try {
    return decoder.decode(data);
  } catch {
    return null;
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** RFC 4648 §4 base64 with padding and nothing else (Buffer.from would silently skip junk). */
export function decodeBase64(s: string): Buffer | null {
  return BASE64.test(s) ? Buffer.from(s, 'base64') : null;
}
