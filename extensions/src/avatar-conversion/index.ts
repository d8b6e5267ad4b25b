// XEP-0398 User Avatar to vCard-Based Avatars Conversion: the account's XEP-0084 avatar (PEP) and
// her vCard-temp PHOTO (XEP-0153) are kept as one, and her available presence carries the photo's
// hash for her. Everything runs in the owner's presence actor, where both her PEP requests and her
// own vCard set run, so the two sides are never changed at once.
//
// No loops: a conversion writes the other side without telling anyone who converts back (a vCard is
// written to the store directly, not through the vCard-temp handler; PEP items are published with
// `publishAsOwner`, which tells no change listener), and each direction stops when the other side
// already holds the same image (same SHA-1).
//
// Choices (docs/pep.md, XEP-0398):
// - A vCard set without a PHOTO leaves PEP alone (§3.2 converts a vCard "with a valid photo"); a
//   XEP-0084 metadata item without any info (§4.6 of XEP-0084, avatar disabled) removes the PHOTO.
// - Metadata pointing only to external URLs is not converted: the vCard cannot hold the image.
// - Presence (§4): added when the account has a vCard photo; a client's empty <photo/> is left as
//   it is; an empty <x/> and a different hash are replaced (the "MAY" of §4, taken: a stale hash
//   makes contacts fetch the wrong vCard or none).
import type { ExtensionModule, Pass, PresenceEnv, Rewrite } from '@parley/ext';
import { PASS, rewrite } from '@parley/ext';
import type { Element } from '@parley/xml';
import { NODE_AVATAR_DATA, NODE_AVATAR_METADATA, type PepModule, type PepOwner } from '../pep/index.ts';
import { payloadOf } from '../pep/notify.ts';
import { NS_VCARD_UPDATE, type VcardListener, vcardUpdate } from '../vcard-temp.ts';
import { type Avatar, dataPayload, decodeBase64, localInfo, metadataPayload, parseStoredVcard, sha1Hex, vcardPhoto, withPhoto } from './photo.ts';

export const NS_PEP_VCARD_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';

export type AvatarConversionModule = ExtensionModule & {
  /** Hand this to the vCard-temp module (`vcardTemp({ listeners })`): a vCard set with a photo publishes it over PEP. */
  vcardListener: VcardListener;
};

async function storedVcard(env: Pick<PresenceEnv, 'store'>, owner: string): Promise<Element | null> {
  const stored = await env.store.vcards.get(owner);
  return stored === null ? null : parseStoredVcard(stored);
}

/** The id of the avatar the metadata node announces now (lower-case hex), or null. */
async function announcedId(env: PresenceEnv, owner: string): Promise<string | null> {
  const [meta] = await env.store.pep.items(owner, NODE_AVATAR_METADATA, { max: 1 });
  const info = localInfo(meta ? payloadOf(meta) : null);
  return typeof info === 'object' ? info.id.toLowerCase() : null;
}

/** XEP-0398 §3.1: after a publish (or retraction) on the metadata node, the vCard's PHOTO follows it. */
async function pepToVcard(env: PresenceEnv, owner: string, vcardMaxBytes: number): Promise<void> {
  const [meta] = await env.store.pep.items(owner, NODE_AVATAR_METADATA, { max: 1 });
  const info = localInfo(meta ? payloadOf(meta) : null);
  if (info === 'external') return;
  let avatar: Avatar | null = null;
  if (info !== 'none') {
    const [item] = await env.store.pep.items(owner, NODE_AVATAR_DATA, { ids: [info.id] });
    const data = item ? payloadOf(item) : null;
    const bytes = data?.is('data', NODE_AVATAR_DATA) ? decodeBase64(data.text()) : null;
    if (!bytes) {
      env.log.info('avatar metadata names no usable data item; the vCard photo is left as it is', { owner, id: info.id });
      return;
    }
    // §3.1: the service SHOULD check that the image's SHA-1 is the id.
    const sha1 = sha1Hex(bytes);
    if (sha1 !== info.id.toLowerCase()) {
      env.log.info('avatar data does not match its id; not copied to the vCard', { owner, id: info.id });
      return;
    }
    avatar = { type: info.type, bytes, sha1 };
  }
  const vcard = await storedVcard(env, owner);
  const current = vcard ? vcardPhoto(vcard) : null;
  if ((current?.sha1 ?? null) === (avatar?.sha1 ?? null)) return;
  const text = withPhoto(vcard, avatar).toString();
  if (Buffer.byteLength(text) > vcardMaxBytes) {
    env.log.info('the vCard with this avatar would be over the vCard size limit; not copied', { owner, bytes: Buffer.byteLength(text) });
    return;
  }
  await env.store.vcards.set(owner, text);
}

/** XEP-0398 §3.2: a vCard set with a photo publishes the data item (id = SHA-1), then the metadata; subscribers are notified. */
async function vcardToPep(pep: PepModule, owner: PepOwner, vcard: Element): Promise<void> {
  const avatar = vcardPhoto(vcard);
  if (!avatar || (await announcedId(owner.env, owner.key)) === avatar.sha1) return;
  const data = await pep.publishAsOwner(owner, NODE_AVATAR_DATA, avatar.sha1, dataPayload(avatar));
  if ('error' in data) {
    owner.env.log.info('the vCard photo could not be published as a XEP-0084 avatar', { owner: owner.key, condition: data.error });
    return;
  }
  await pep.publishAsOwner(owner, NODE_AVATAR_METADATA, avatar.sha1, metadataPayload(avatar));
}

/** XEP-0398 §4: the hash of the account's vCard photo in her available presence, broadcast, directed and to rooms. */
async function withHash(env: Pick<PresenceEnv, 'store'>, key: string, stanza: Element): Promise<Pass | Rewrite> {
  const x = stanza.getChild('x', NS_VCARD_UPDATE);
  const photo = x?.getChild('photo');
  // §4: an empty <photo/> ("no avatar", XEP-0153 §3.2) is the client's to send and is not touched.
  if (photo && photo.text().trim() === '') return PASS;
  const vcard = await storedVcard(env, key);
  const hash = vcard ? (vcardPhoto(vcard)?.sha1 ?? null) : null;
  // No photo to announce: an empty <x/> still MUST be overwritten, with "no avatar".
  if (hash === null && (!x || photo)) return PASS;
  if (hash !== null && photo?.text().trim().toLowerCase() === hash) return PASS;
  const out = stanza.clone();
  for (const old of out.getChildren('x', NS_VCARD_UPDATE)) out.remove(old);
  out.append(vcardUpdate(hash));
  return rewrite(out);
}

export function avatarConversion(opts: { pep: PepModule; vcardMaxBytes: number }): AvatarConversionModule {
  opts.pep.afterChange(async ({ env, key, node }) => {
    if (node === NODE_AVATAR_METADATA) await pepToVcard(env, key, opts.vcardMaxBytes);
  });
  return {
    name: 'avatar-conversion',
    specs: ['XEP-0398'],
    // §2: on the account; clients may warn that a PEP avatar becomes public through the vCard (§6).
    disco: [{ on: ['own-account'], features: [NS_PEP_VCARD_CONVERSION] }],
    settings: ['vcardMaxBytes'],
    vcardListener: (ctx, vcard) => vcardToPep(opts.pep, { env: ctx.env, key: ctx.from.bareString(), roster: ctx.roster }, vcard),
    presence: {
      ownAvailable: ({ env, key, stanza }) => withHash(env, key, stanza),
    },
    // Presence to a room goes to the room's actor, not through the presence service (decision 0015):
    // the room repeats it to the occupants, who show room avatars from this hash (XEP-0153 §3.1).
    chatroom: {
      occupantPresence: ({ env, from, stanza }) => withHash(env, from.slice(0, from.indexOf('/')), stanza),
    },
  };
}
