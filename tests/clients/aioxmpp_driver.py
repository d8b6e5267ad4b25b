#!/usr/bin/python3
"""An aioxmpp client driven over stdin/stdout with JSON lines (jsonlines.py), for the client matrix.

aioxmpp runs with its default settings (stream management on, its own SASL choice); the only
change is that the embedded test server's self-signed certificate is not verified.
Commands: connect, subscribe, approve, send_message, ping, traffic, disconnect.
Unsolicited events: session_start, message, presence, disconnected.
Run it with Debian's /usr/bin/python3 (python3-aioxmpp).
"""
import asyncio
import logging
import os
import sys

import aioxmpp
import aioxmpp.connector
import aioxmpp.dispatcher
import aioxmpp.errors
import aioxmpp.ping
import aioxmpp.protocol
import aioxmpp.stream
import aioxmpp.xml

from jsonlines import Traffic, emit, serve

logging.basicConfig(level=os.environ.get("PARLEY_DRIVER_LOG", "CRITICAL"), stream=sys.stderr)
traffic = Traffic()

# Observation only: log each stanza aioxmpp sends and receives (nonzas included).
_send_xso = aioxmpp.protocol.XMLStream.send_xso
_process_incoming = aioxmpp.stream.StanzaStream._process_incoming


def _logged_send(self, obj):
    traffic.sent.append(aioxmpp.xml.serialize_single_xso(obj))
    return _send_xso(self, obj)


def _logged_incoming(self, xmlstream, queue_entry):
    stanza_obj = queue_entry[0]
    if stanza_obj is not None:
        traffic.received.append(aioxmpp.xml.serialize_single_xso(stanza_obj))
    return _process_incoming(self, xmlstream, queue_entry)


aioxmpp.protocol.XMLStream.send_xso = _logged_send
aioxmpp.stream.StanzaStream._process_incoming = _logged_incoming


def presence_event(stanza, type_):
    return {'event': 'presence', 'from': str(stanza.from_), 'type': type_, 'show': None, 'status': None}


class Driver:
    def __init__(self):
        self.client = None
        self.session = None
        self.stop = None
        self.mechanism = None

    async def connect(self, cmd):
        jid = aioxmpp.JID.fromstr(cmd['jid'])
        # The embedded test server's certificate is self-signed.
        security = aioxmpp.make_security_layer(cmd['password'], no_verify=True)
        self.client = client = aioxmpp.PresenceManagedClient(
            jid,
            security,
            override_peer=[(cmd.get('host', '127.0.0.1'), cmd['port'], aioxmpp.connector.STARTTLSConnector())],
            max_initial_attempts=1,
        )
        roster = client.summon(aioxmpp.RosterClient)
        roster.on_subscribe.connect(lambda st: emit(presence_event(st, 'subscribe')))
        presence = client.summon(aioxmpp.PresenceClient)
        presence.on_available.connect(lambda _jid, st: emit(presence_event(st, 'available')))
        presence.on_unavailable.connect(lambda _jid, st: emit(presence_event(st, 'unavailable')))
        messages = client.summon(aioxmpp.dispatcher.SimpleMessageDispatcher)
        messages.register_callback(aioxmpp.MessageType.CHAT, None, self.on_message)
        client.on_failure.connect(lambda exc: emit({'event': 'disconnected', 'reason': repr(exc)}))

        ready = asyncio.get_event_loop().create_future()
        self.stop = asyncio.Event()

        async def hold():
            try:
                # The documented way to run an aioxmpp client: available presence, default settings.
                async with client.connected():
                    ready.set_result(True)
                    await self.stop.wait()
                emit({'event': 'disconnected', 'reason': 'stopped'})
            except Exception as exc:  # noqa: BLE001 - reported to the test
                if not ready.done():
                    ready.set_exception(exc)
                else:
                    emit({'event': 'disconnected', 'reason': repr(exc)})

        self.session = asyncio.ensure_future(hold())
        await asyncio.wait_for(ready, cmd.get('timeout', 10))
        sm = client.stream.sm_enabled
        emit({'event': 'session_start', 'jid': str(client.local_jid), 'sm': sm})
        return {'jid': str(client.local_jid), 'mechanism': sasl_mechanism(), 'sm': sm}

    def on_message(self, msg):
        body = msg.body.any() if msg.body else None
        emit({'event': 'message', 'from': str(msg.from_), 'to': str(msg.to), 'type': msg.type_.value, 'body': body})

    async def handle(self, cmd):
        op = cmd.get('cmd')
        if op == 'connect':
            return await self.connect(cmd)
        c = self.client
        if c is None:
            raise RuntimeError('not connected')
        if op == 'subscribe':
            c.summon(aioxmpp.RosterClient).subscribe(aioxmpp.JID.fromstr(cmd['to']))
            return {}
        if op == 'approve':
            c.summon(aioxmpp.RosterClient).approve(aioxmpp.JID.fromstr(cmd['to']))
            return {}
        if op == 'send_message':
            msg = aioxmpp.Message(type_=aioxmpp.MessageType.CHAT, to=aioxmpp.JID.fromstr(cmd['to']))
            msg.body[None] = cmd['body']
            await c.send(msg)
            return {}
        if op == 'ping':
            await asyncio.wait_for(aioxmpp.ping.ping(c, aioxmpp.JID.fromstr(cmd.get('to') or c.local_jid.domain)), 5)
            return {}
        if op == 'traffic':
            return traffic.as_reply()
        if op == 'disconnect':
            self.stop.set()
            await asyncio.wait_for(self.session, 5)
            return {}
        raise RuntimeError('unknown command %r' % op)

    async def shutdown(self):
        if self.stop is not None and not self.stop.is_set():
            self.stop.set()
            await self.session


def sasl_mechanism():
    """The mechanism aioxmpp chose, read back from its own <auth/> element."""
    for xml in traffic.sent:
        if '<auth ' in xml and 'mechanism=' in xml:
            return xml.split('mechanism="', 1)[1].split('"', 1)[0]
    return None


def describe_error(e):
    if isinstance(e, aioxmpp.errors.XMPPError):
        return {'error': 'iq-error', 'condition': e.condition[1] if isinstance(e.condition, tuple) else str(e.condition)}
    if isinstance(e, asyncio.TimeoutError):
        return {'error': 'timeout'}
    return {'error': '%s: %s' % (type(e).__name__, e)}


driver = Driver()
asyncio.run(serve(driver.handle, describe_error, driver.shutdown))
