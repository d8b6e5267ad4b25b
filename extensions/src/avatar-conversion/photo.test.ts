// The two XEP-0398 sides of one avatar: vCard PHOTO parsing and rewriting, XEP-0084 metadata choice.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFragment } from '@parley/xml';
import { decodeBase64, localInfo, metadataPayload, sha1Hex, vcardPhoto, withPhoto } from './photo.ts';

const PNG = Buffer.from('89504e470d0a1a0a', 'hex');

describe('avatar conversion: photo helpers', () => {
  test('a folded BINVAL decodes; text that is not base64 is no photo', () => {
    const b64 = PNG.toString('base64');
    assert.deepEqual(decodeBase64(`${b64.slice(0, 4)}\n ${b64.slice(4)}`), PNG);
    assert.equal(decodeBase64('not base64!'), null);
    assert.equal(decodeBase64(''), null);
    const card = parseFragment(`<vCard xmlns="vcard-temp"><FN>A</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>${b64}</BINVAL></PHOTO></vCard>`);
    assert.deepEqual(vcardPhoto(card), { type: 'image/png', bytes: PNG, sha1: sha1Hex(PNG) });
    assert.equal(vcardPhoto(parseFragment('<vCard xmlns="vcard-temp"><PHOTO><EXTVAL>https://example.com/a.png</EXTVAL></PHOTO></vCard>')), null);
  });

  test('replacing the photo keeps every other field; removing it leaves the rest', () => {
    const card = parseFragment('<vCard xmlns="vcard-temp"><FN>Ann</FN><PHOTO><BINVAL>AAAA</BINVAL></PHOTO><NOTE>hi</NOTE></vCard>');
    const next = withPhoto(card, { type: 'image/png', bytes: PNG, sha1: sha1Hex(PNG) });
    assert.deepEqual(next.getChildElements().map((e) => e.name), ['FN', 'NOTE', 'PHOTO']);
    assert.equal(vcardPhoto(next)?.sha1, sha1Hex(PNG));
    assert.deepEqual(withPhoto(card, null).getChildElements().map((e) => e.name), ['FN', 'NOTE']);
    assert.equal(withPhoto(null, null).toString(), "<vCard xmlns='vcard-temp'/>");
  });

  test('XEP-0398 §3.1: the info without a url is the one converted; only URLs or none are told apart', () => {
    const meta = (inner: string) => parseFragment(`<metadata xmlns="urn:xmpp:avatar:metadata">${inner}</metadata>`);
    assert.deepEqual(localInfo(meta('<info id="u" url="https://example.com/a.png" type="image/png" bytes="1"/><info id="abc" type="image/jpeg" bytes="2"/>')), { id: 'abc', type: 'image/jpeg' });
    assert.equal(localInfo(meta('<info id="u" url="https://example.com/a.png" type="image/png" bytes="1"/>')), 'external');
    assert.equal(localInfo(meta('')), 'none');
    assert.equal(localInfo(null), 'none');
    assert.deepEqual(localInfo(metadataPayload({ type: 'image/png', bytes: PNG, sha1: 'abc' })), { id: 'abc', type: 'image/png' });
    assert.equal(localInfo(metadataPayload(null)), 'none', 'no avatar is the empty metadata of XEP-0084 §4.6');
  });
});
