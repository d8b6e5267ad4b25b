// The avatar as both XEP-0398 sides hold it: the vCard-temp PHOTO (XEP-0054 §3, XEP-0153) and the
// XEP-0084 data and metadata payloads. Pure functions, no store.
import { createHash } from 'node:crypto';
import { type Element, parseFragment, xml } from '@parley/xml';
import { NODE_AVATAR_DATA, NODE_AVATAR_METADATA } from '../pep/ns.ts';
import { NS_VCARD } from '../vcard-temp.ts';

export interface Avatar {
  type: string;
  bytes: Buffer;
  /** XEP-0084 §4.2 / XEP-0153 §3.2: the hex SHA-1 of the image bytes, the item id and the presence hash. */
  sha1: string;
}

export const sha1Hex = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');

/** Strict base64 (whitespace allowed, as vCard BINVAL is often folded): null when it is not. */
export function decodeBase64(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return null;
  return Buffer.from(compact, 'base64');
}

/** A stored vCard (our own serialisation, already size-checked) as an element. */
export const parseStoredVcard = (stored: string): Element => parseFragment(stored, { maxStanzaBytes: Math.max(stored.length * 4 + 1, 262144) });

/** The image of a vCard's PHOTO (TYPE and BINVAL); null without one or when BINVAL is not base64 (EXTVAL is not an image we hold). */
export function vcardPhoto(vcard: Element): Avatar | null {
  const photo = vcard.getChild('PHOTO');
  const bytes = decodeBase64(photo?.getChildText('BINVAL') ?? '');
  if (!photo || !bytes) return null;
  return { type: photo.getChildText('TYPE')?.trim() || 'image/png', bytes, sha1: sha1Hex(bytes) };
}

/** The vCard with its PHOTO replaced by `avatar` (removed when null), the other fields kept as they are. */
export function withPhoto(vcard: Element | null, avatar: Avatar | null): Element {
  const out = vcard ? vcard.clone() : xml('vCard', { xmlns: NS_VCARD });
  out.setAttr('xmlns', NS_VCARD);
  for (const p of out.getChildren('PHOTO')) out.remove(p);
  if (avatar) out.append(xml('PHOTO', {}, xml('TYPE', {}, avatar.type), xml('BINVAL', {}, avatar.bytes.toString('base64'))));
  return out;
}

/** XEP-0084 §4.1 data payload. */
export const dataPayload = (a: Avatar) => xml('data', { xmlns: NODE_AVATAR_DATA }, a.bytes.toString('base64'));

/** XEP-0084 §4.2 metadata payload with one info element; with no avatar, the empty metadata of §4.6 (avatar disabled). */
export const metadataPayload = (a: Avatar | null) =>
  xml('metadata', { xmlns: NODE_AVATAR_METADATA }, a ? xml('info', { id: a.sha1, type: a.type, bytes: String(a.bytes.length) }) : undefined);

/**
 * XEP-0398 §3.1: of a metadata payload's info elements, the one that does not point to an external
 * URL (the image is then in the data node under its id). `none`: the metadata is empty (XEP-0084
 * §4.6, avatar disabled); `external`: only URLs, nothing the vCard can hold.
 */
export function localInfo(metadata: Element | null): { id: string; type: string } | 'none' | 'external' {
  const infos = metadata?.getChildren('info') ?? [];
  if (infos.length === 0) return 'none';
  const local = infos.find((i) => i.attr('url') === undefined && i.attr('id'));
  return local ? { id: local.attr('id')!, type: local.attr('type') || 'image/png' } : 'external';
}
