"""XEP-0198 resumption and XEP-0352 client state for Parley's tests (resume helper's commands).

Stream management is registered only for clients started with PARLEY_SLIX_SM=1 in the environment,
so other tests' clients keep behaving as before.
Commands: sm_state, sm_drop (lose the connection without closing the stream), sm_resume (connect
again and resume), csi (send <active/> or <inactive/>).
Events: sm_enabled, sm_resumed, sm_failed.
"""
import asyncio
import os
import xml.etree.ElementTree as ET

from jsonlines import emit

PLUGINS = []
ENABLED = os.environ.get('PARLEY_SLIX_SM') == '1'


def attach(client):
    if not ENABLED:
        return
    client.register_plugin('xep_0198')
    client.register_plugin('xep_0352')
    client.sm_outcome = None

    def outcome(kind):
        def handler(el):
            fut = client.sm_outcome
            info = {'event': kind, 'h': el.xml.get('h'), 'id': el.xml.get('id'), 'max': el.xml.get('max'),
                    'resume': el.xml.get('resume'), 'condition': next((c.tag.split('}')[1] for c in el.xml), None)}
            emit(info)
            if fut is not None and not fut.done():
                fut.set_result(info)
        return handler

    client.add_event_handler('sm_enabled', outcome('sm_enabled'))
    client.add_event_handler('session_resumed', outcome('sm_resumed'))
    client.add_event_handler('sm_failed', outcome('sm_failed'))


async def sm_state(client, cmd):
    sm = client['xep_0198']
    return {'id': sm.sm_id, 'handled': sm.handled, 'unacked': len(sm.unacked_queue)}


async def sm_drop(client, cmd):
    """The network goes away: the socket is dropped without </stream:stream>."""
    gone = asyncio.get_event_loop().create_future()
    client.add_event_handler('disconnected', lambda _e: gone.done() or gone.set_result(True), disposable=True)
    client.transport.abort()
    await asyncio.wait_for(gone, 5)
    return {'handled': client['xep_0198'].handled}


async def sm_resume(client, cmd):
    """Connects again; slixmpp sends <resume/> after authentication. Returns the outcome."""
    client.sm_outcome = asyncio.get_event_loop().create_future()
    client.connect((cmd.get('host', '127.0.0.1'), cmd['port']))
    info = await asyncio.wait_for(client.sm_outcome, cmd.get('timeout', 10))
    return {'outcome': info['event'], 'h': info['h'], 'condition': info['condition']}


async def csi(client, cmd):
    if cmd['state'] == 'inactive':
        client['xep_0352'].send_inactive()
    else:
        client['xep_0352'].send_active()
    return {}


async def chat_state(client, cmd):
    """A standalone chat state notification (XEP-0085 §5.5), without body."""
    msg = client.Message(sto=cmd['to'], stype='chat')
    msg.append(ET.Element('{http://jabber.org/protocol/chatstates}%s' % cmd['state']))
    msg.send()
    return {}


async def push(client, cmd):
    """XEP-0357 enable (with a publish-options form holding `secret`) or disable."""
    iq = client.Iq(stype='set')
    el = ET.Element('{urn:xmpp:push:0}%s' % cmd['op'], {'jid': cmd['jid']})
    if cmd.get('node'):
        el.set('node', cmd['node'])
    if cmd['op'] == 'enable' and cmd.get('secret'):
        form = ET.SubElement(el, '{jabber:x:data}x', {'type': 'submit'})
        for var, value in (('FORM_TYPE', 'http://jabber.org/protocol/pubsub#publish-options'), ('secret', cmd['secret'])):
            field = ET.SubElement(form, '{jabber:x:data}field', {'var': var})
            ET.SubElement(field, '{jabber:x:data}value').text = value
    iq.append(el)
    result = await iq.send(timeout=5)
    return {'type': result['type']}


COMMANDS = {'push': push, 'sm_state': sm_state, 'sm_drop': sm_drop, 'sm_resume': sm_resume, 'csi': csi, 'chat_state': chat_state}
