export interface XmlLimits {
  /** Bytes of input a depth-1 element (stanza) may occupy, counted while it accumulates. */
  maxStanzaBytes: number;
  /** Deepest element nesting; a stanza is depth 1 (the stream root is depth 0). */
  maxDepth: number;
  /** Attributes on one element. */
  maxAttributes: number;
  /** Characters in one element or attribute name. */
  maxNameLength?: number;
  /** Bytes before the stream header's `>` (XML declaration, whitespace and the header itself). */
  maxStreamHeaderBytes?: number;
  /**
   * Elements in one stanza. An empty element costs ~150 bytes of heap for 4 bytes of input, so this caps
   * the heap one unfinished stanza can pin (~2.5 MB at the default) well below what maxStanzaBytes allows.
   */
  maxStanzaElements?: number;
}

export const defaultLimits: XmlLimits = Object.freeze({
  maxStanzaBytes: 262144,
  maxDepth: 32,
  maxAttributes: 64,
  maxNameLength: 1024,
  maxStreamHeaderBytes: 8192,
  maxStanzaElements: 16384,
});

export type ResolvedLimits = Required<XmlLimits>;

export function resolveLimits(limits: Partial<XmlLimits> | undefined): ResolvedLimits {
  const out = { ...defaultLimits } as ResolvedLimits;
  if (limits) {
    for (const key of Object.keys(out) as Array<keyof ResolvedLimits>) {
      const v = limits[key];
      if (v !== undefined) out[key] = v;
    }
  }
  return out;
}
