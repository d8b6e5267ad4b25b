"""PEP (XEP-0163) commands for slix_driver.py: +notify interest through slixmpp's own entity
capabilities (XEP-0115), publish and fetch through xep_0060/xep_0163, avatars through xep_0084,
nickname through xep_0172; pubsub events are emitted as {'event': 'pep', ...}."""
import asyncio
import base64
import uuid
import xml.etree.ElementTree as ET

from slixmpp.plugins.xep_0004.stanza import Form
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from jsonlines import emit

PLUGINS = ['xep_0060', 'xep_0115', 'xep_0163', 'xep_0084', 'xep_0172']


def attach(client):
    client.pep_caps_asked = asyncio.Event()
    client.pep_expect = None

    def watch_caps_query(stanza):
        # The server asking about our caps hash (XEP-0115 §6.2).
        if stanza.name == 'iq' and stanza['type'] == 'get' and stanza.xml.find('{http://jabber.org/protocol/disco#info}query') is not None:
            node = stanza.xml.find('{http://jabber.org/protocol/disco#info}query').get('node') or ''
            if client.pep_expect is not None and node.endswith('#' + client.pep_expect):
                client.pep_caps_asked.set()
        return stanza

    client.add_filter('in', watch_caps_query)

    EV = '{http://jabber.org/protocol/pubsub#event}'

    def on_event(msg):
        # Read from the XML: iterating slixmpp's stanza objects here does not terminate.
        items = msg.xml.find(EV + 'event/' + EV + 'items')
        if items is None:
            return
        delayed = msg.xml.find('{urn:xmpp:delay}delay') is not None
        for child in list(items):
            kind = 'item' if child.tag == EV + 'item' else 'retract' if child.tag == EV + 'retract' else None
            if kind is None:
                continue
            payload = child[0] if kind == 'item' and len(child) else None
            emit({'event': 'pep', 'from': str(msg['from']), 'node': items.get('node'), 'kind': kind, 'item_id': child.get('id'),
                  'payload': ET.tostring(payload, encoding='unicode') if payload is not None else None, 'delayed': delayed})

    client.register_handler(Callback('parley pep events', MatchXPath('{jabber:client}message/' + EV + 'event'), on_event))


async def pep_interest(c, cmd):
    """Adds +notify for the nodes (and a feature unique to this client, so the hash is new), sends
    presence with the new caps and returns once the server asked about them and got the answer."""
    for node in cmd['nodes']:
        c['xep_0030'].add_feature('%s+notify' % node)
    c['xep_0030'].add_feature('urn:parley:test:%s' % uuid.uuid4().hex)
    await c['xep_0115'].update_caps(broadcast=False)
    c.pep_expect = await c['xep_0115'].get_verstring(c.boundjid.full)
    c.pep_caps_asked.clear()
    c.send_presence()
    await asyncio.wait_for(c.pep_caps_asked.wait(), 5)
    # Our answer reached our session actor before this ping, which is handled after it.
    await c['xep_0199'].send_ping(c.boundjid.host, timeout=5)
    return {}


def _options(fields):
    if not fields:
        return None
    form = Form()
    form['type'] = 'submit'
    form.add_field(var='FORM_TYPE', ftype='hidden', value='http://jabber.org/protocol/pubsub#publish-options')
    for k, v in fields.items():
        form.add_field(var=k, value=v)
    return form


async def pep_publish(c, cmd):
    payload = ET.fromstring(cmd['payload'])
    result = await c['xep_0060'].publish(c.boundjid.bare, cmd['node'], id=cmd.get('item_id'), payload=payload,
                                         options=_options(cmd.get('options')), timeout=5)
    item = result.xml.find('.//{http://jabber.org/protocol/pubsub}publish/{http://jabber.org/protocol/pubsub}item')
    return {'item_id': item.get('id') if item is not None else None}


async def pep_items(c, cmd):
    result = await c['xep_0060'].get_items(cmd.get('to') or c.boundjid.bare, cmd['node'], max_items=cmd.get('max_items'), timeout=5)
    out = []
    for item in result['pubsub']['items']:
        payload = item.xml[0] if len(item.xml) else None
        out.append({'id': item['id'], 'payload': ET.tostring(payload, encoding='unicode') if payload is not None else None})
    return {'items': out}


async def pep_retract(c, cmd):
    await c['xep_0060'].retract(c.boundjid.bare, cmd['node'], cmd['item_id'], notify=True, timeout=5)
    return {}


async def avatar_publish(c, cmd):
    data = base64.b64decode(cmd['data'])
    avatar_id = c['xep_0084'].generate_id(data)
    await c['xep_0084'].publish_avatar(data, timeout=5)
    await c['xep_0084'].publish_avatar_metadata([{'id': avatar_id, 'type': cmd['type'], 'bytes': len(data)}], timeout=5)
    return {'avatar_id': avatar_id}


async def avatar_fetch(c, cmd):
    # The data item by id, as xep_0084.retrieve_avatar asks for it (XEP-0084 §4.3).
    result = await c['xep_0060'].get_items(cmd['to'], 'urn:xmpp:avatar:data', item_ids=[cmd['avatar_id']], timeout=5)
    data = result.xml.find('.//{urn:xmpp:avatar:data}data')
    return {'data': data.text if data is not None else None}


async def nick_publish(c, cmd):
    await c['xep_0172'].publish_nick(cmd['nick'], timeout=5)
    return {}


async def disco_items(c, cmd):
    """XEP-0030 disco#items with slixmpp's xep_0030 (XEP-0060 §5.2 nodes, §5.5 items of a node)."""
    result = await c['xep_0030'].get_items(jid=cmd['to'], node=cmd.get('node'), local=False, timeout=5)
    return {'items': [{'jid': str(i[0]), 'node': i[1], 'name': i[2]} for i in result['disco_items']['items']]}


COMMANDS = {
    'disco_items': disco_items,
    'pep_interest': pep_interest,
    'pep_publish': pep_publish,
    'pep_items': pep_items,
    'pep_retract': pep_retract,
    'avatar_publish': avatar_publish,
    'avatar_fetch': avatar_fetch,
    'nick_publish': nick_publish,
}
