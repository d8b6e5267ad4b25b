"""XEP-0313 message archive commands for slix_driver.py (slixmpp's xep_0313 and xep_0059 plugins).

Commands (each may name the archive's `jid`, e.g. a room): mam_page (one page), mam_all (every page through slixmpp's RSM iterator, forward or back),
mam_prefs_get, mam_prefs_set, mam_send_chat (with an origin-id), mam_retract (XEP-0424).
Events: stanza_id (the XEP-0359 stanza-id the server put on a received chat message).
"""
import xml.etree.ElementTree as ET
from datetime import datetime

from jsonlines import emit

PLUGINS = ['xep_0004', 'xep_0059', 'xep_0297', 'xep_0313']

MAM = 'urn:xmpp:mam:2'
SID = 'urn:xmpp:sid:0'
RETRACT = 'urn:xmpp:message-retract:1'


def attach(client):
    def on_message(msg):
        sid = msg.xml.find('{%s}stanza-id' % SID)
        if sid is not None and msg.xml.find('{%s}result' % MAM) is None:
            emit({'event': 'stanza_id', 'from': str(msg['from']), 'body': msg['body'], 'id': sid.get('id'), 'by': sid.get('by')})
    client.add_event_handler('message', on_message)


def describe(result_msg):
    """One MAM result message as the test sees it."""
    result = result_msg.xml.find('{%s}result' % MAM)
    fwd = result.find('{urn:xmpp:forward:0}forwarded')
    inner = fwd.find('{jabber:client}message')
    delay = fwd.find('{urn:xmpp:delay}delay')
    body = inner.find('{jabber:client}body')
    origin = inner.find('{%s}origin-id' % SID)
    real = inner.find('{http://jabber.org/protocol/muc#user}x/{http://jabber.org/protocol/muc#user}item')
    return {
        'id': result.get('id'),
        'queryid': result.get('queryid'),
        'from': inner.get('from'),
        'to': inner.get('to'),
        'body': body.text if body is not None else None,
        'stamp': delay.get('stamp') if delay is not None else None,
        'retracted': inner.find('{%s}retracted' % RETRACT) is not None,
        'origin_id': origin.get('id') if origin is not None else None,
        'real_jid': real.get('jid') if real is not None else None,
    }


def _when(value):
    return datetime.fromisoformat(value.replace('Z', '+00:00')) if value else None


def _query_args(cmd):
    rsm = {}
    if cmd.get('max') is not None:
        rsm['max'] = cmd['max']
    for k in ('after', 'before'):
        if cmd.get(k) is not None:
            rsm[k] = cmd[k]
    # `jid`: whose archive (a room's, XEP-0313 §5.1.2); none: the user's own.
    return dict(jid=cmd.get('jid'), start=_when(cmd.get('start')), end=_when(cmd.get('end')), with_jid=cmd.get('with')), rsm


async def mam_page(c, cmd):
    """One query, one page: the results, and <fin/>'s complete flag and RSM first/last."""
    args, rsm = _query_args(cmd)
    if cmd.get('fulltext'):
        # XEP-0431 is not in slixmpp: the extra field goes through the plugin's custom-field setter.
        result = await _with_fulltext(c, cmd, args, rsm)
    else:
        result = await c['xep_0313'].retrieve(timeout=10, rsm=rsm or None, **args)
    fin = result['mam_fin']
    return {
        'results': [describe(m) for m in result['mam']['results']],
        'complete': fin.xml.get('complete') == 'true',
        'first': fin['rsm']['first'] or None,
        'last': fin['rsm']['last'] or None,
    }


async def _with_fulltext(c, cmd, args, rsm):
    from slixmpp.xmlstream.handler import Collector
    from slixmpp.xmlstream.matcher import MatchXMLMask
    iq, mask = c['xep_0313']._pre_mam_retrieve(args['jid'], args['start'], args['end'], args['with_jid'], None)
    iq['mam'].set_custom_field('{urn:xmpp:fulltext:0}fulltext', cmd['fulltext'])
    for k, v in rsm.items():
        iq['mam']['rsm'][k] = str(v)
    collector = Collector('MAM_fulltext_%s' % iq['id'], MatchXMLMask(str(mask)))
    c.register_handler(collector)
    result = await iq.send(timeout=10)
    result['mam']['results'] = collector.stop()
    return result


async def mam_all(c, cmd):
    """Every message, page by page (max per page), through slixmpp's RSM iterator."""
    args, rsm = _query_args(cmd)
    out = []
    async for m in c['xep_0313'].iterate(rsm=rsm or None, reverse=bool(cmd.get('reverse')), **args):
        out.append(describe(m))
    return {'results': out}


def _prefs_reply(iq):
    prefs = iq.xml.find('{%s}prefs' % MAM)
    def jids(name):
        el = prefs.find('{%s}%s' % (MAM, name))
        return [j.text for j in el.findall('{%s}jid' % MAM)] if el is not None else []
    return {'default': prefs.get('default'), 'always': jids('always'), 'never': jids('never')}


async def mam_prefs_get(c, cmd):
    iq = c.make_iq_get()
    iq.xml.append(ET.Element('{%s}prefs' % MAM))
    return _prefs_reply(await iq.send(timeout=5))


async def mam_prefs_set(c, cmd):
    iq = c.make_iq_set()
    prefs = ET.Element('{%s}prefs' % MAM, {'default': cmd['default']})
    for name in ('always', 'never'):
        el = ET.SubElement(prefs, '{%s}%s' % (MAM, name))
        for j in cmd.get(name, []):
            ET.SubElement(el, '{%s}jid' % MAM).text = j
    iq.xml.append(prefs)
    return _prefs_reply(await iq.send(timeout=5))


async def send_chat(c, cmd):
    """A chat message with an XEP-0359 origin-id (the id a retraction refers to)."""
    msg = c.make_message(mto=cmd['to'], mbody=cmd['body'], mtype='chat')
    for old in msg.xml.findall('{%s}origin-id' % SID):
        msg.xml.remove(old)
    ET.SubElement(msg.xml, '{%s}origin-id' % SID, {'id': cmd['origin_id']})
    msg.send()
    return {}


async def retract(c, cmd):
    """XEP-0424 §4: a retraction of the message with origin-id `target`, with a fallback body and a store hint."""
    msg = c.make_message(mto=cmd['to'], mbody='This person attempted to retract a previous message.', mtype='chat')
    ET.SubElement(msg.xml, '{%s}retract' % RETRACT, {'id': cmd['target']})
    ET.SubElement(msg.xml, '{urn:xmpp:fallback:0}fallback', {'for': RETRACT})
    ET.SubElement(msg.xml, '{urn:xmpp:hints}store')
    msg.send()
    return {}


COMMANDS = {
    'mam_page': mam_page,
    'mam_all': mam_all,
    'mam_prefs_get': mam_prefs_get,
    'mam_prefs_set': mam_prefs_set,
    'mam_send_chat': send_chat,
    'mam_retract': retract,
}
