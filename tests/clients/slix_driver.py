#!/usr/bin/python3
"""A slixmpp client driven over stdin/stdout with JSON lines (jsonlines.py), for Parley's conversation tests.

Commands: connect, send_presence, subscribe, approve, unsubscribe, unsubscribed, send_message,
get_roster, ping, version, disco_info, traffic, disconnect, and those of every extension file beside this one.

Extension files (`slix_ext_<name>.py`, one per XEP family) are loaded automatically, so a new XEP's test adds
a file instead of editing this driver. Each may define PLUGINS (slixmpp plugin names to register),
attach(client) (to add event handlers that emit events) and COMMANDS ({name: async fn(client, cmd) -> dict}).
`connect` takes an optional `source` address to connect from.
Unsolicited events: session_start, message, presence, roster_push, stream_error, failed_auth,
disconnected. Run it with Debian's /usr/bin/python3 (python3-slixmpp).
"""
import asyncio
import glob
import importlib
import logging
import os
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.features.feature_mechanisms import FeatureMechanisms
from slixmpp.util.sasl.client import MECHANISMS as SASL_MECHANISMS

from jsonlines import Traffic, emit, serve

# slixmpp 1.8.3 offers tls-unique channel binding even on TLS 1.3, where it does not exist, and then
# sends the GS2 "y" flag with non-PLUS mechanisms; a server rightly rejects that as a downgrade
# (RFC 5802 §6). Withhold the binding so the client says "n" (no channel binding).
_orig_credentials = FeatureMechanisms._default_credentials


def _no_tls_unique(self, required, optional):
    creds = _orig_credentials(self, required, optional)
    if 'channel_binding' in creds:
        creds['channel_binding'] = None
    return creds


FeatureMechanisms._default_credentials = _no_tls_unique
logging.basicConfig(level=os.environ.get("PARLEY_DRIVER_LOG", "CRITICAL"), stream=sys.stderr)

_here = os.path.dirname(os.path.abspath(__file__))
EXTENSIONS = [
    importlib.import_module(os.path.basename(f)[:-3])
    for f in sorted(glob.glob(os.path.join(_here, 'slix_ext_*.py')))
]
EXTRA_COMMANDS = {}
for _ext in EXTENSIONS:
    for _name, _fn in getattr(_ext, 'COMMANDS', {}).items():
        if _name in EXTRA_COMMANDS:
            raise RuntimeError('two extension files define the command %r' % _name)
        EXTRA_COMMANDS[_name] = _fn


class Driven(slixmpp.ClientXMPP):
    def __init__(self, jid, password, mech):
        super().__init__(jid, password)
        self.register_plugin('xep_0030')
        self.register_plugin('xep_0092')
        self.register_plugin('xep_0199')
        self.register_plugin('xep_0203')
        self.register_plugin('xep_0191')
        self.register_plugin('xep_0012')
        for ext in EXTENSIONS:
            for plugin in getattr(ext, 'PLUGINS', []):
                self.register_plugin(plugin)
        # The tests approve subscriptions explicitly.
        self.auto_authorize = None
        self.auto_subscribe = False
        # The embedded test server's certificate is self-signed.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self['feature_mechanisms'].unencrypted_plain = False
        if mech:
            self['feature_mechanisms'].use_mech = mech
        else:
            # The second half of the channel-binding workaround: without binding data slixmpp still
            # picks a -PLUS mechanism first and sends "n" with it, which RFC 5802 §6 forbids. Let
            # it choose among every mechanism it knows except those.
            self['feature_mechanisms'].use_mechs = {m for m in SASL_MECHANISMS if not m.endswith('-PLUS')}
        self.started = asyncio.get_event_loop().create_future()
        self.traffic = Traffic()
        self.add_filter('out', self.log_out)
        self.add_filter('in', self.log_in)
        self.add_event_handler('session_start', self.on_start)
        self.add_event_handler('failed_auth', self.on_failed_auth)
        self.add_event_handler('message', self.on_message)
        # Bounces carry no body (RFC 6120 §8.3.1 lets the server leave the payload out).
        self.add_event_handler('message_error', self.on_message)
        self.add_event_handler('presence', self.on_presence)
        self.add_event_handler('roster_update', self.on_roster_update)
        self.add_event_handler('stream_error', self.on_stream_error)
        self.add_event_handler('disconnected', self.on_disconnected)
        self.add_event_handler('connection_failed', self.on_connection_failed)
        for ext in EXTENSIONS:
            if hasattr(ext, 'attach'):
                ext.attach(self)

    def log_out(self, stanza):
        self.traffic.sent.append(str(stanza))
        return stanza

    def log_in(self, stanza):
        self.traffic.received.append(str(stanza))
        return stanza

    async def on_start(self, _event):
        mech = self['feature_mechanisms'].mech
        await self.get_roster()
        self.send_presence()
        emit({'event': 'session_start', 'jid': str(self.boundjid), 'mechanism': mech.name if mech else None})
        if not self.started.done():
            self.started.set_result(True)

    def on_failed_auth(self, _event):
        emit({'event': 'failed_auth'})
        if not self.started.done():
            self.started.set_exception(RuntimeError('authentication failed'))

    def on_connection_failed(self, err):
        emit({'event': 'connection_failed', 'error': str(err)})
        if not self.started.done():
            self.started.set_exception(RuntimeError('connection failed: %s' % err))

    def on_message(self, msg):
        delay = msg.xml.find('{urn:xmpp:delay}delay')
        emit({
            'event': 'message',
            'from': str(msg['from']),
            'to': str(msg['to']),
            'type': msg.xml.get('type', 'normal'),
            'body': msg['body'],
            'delay': delay.get('stamp') if delay is not None else None,
            'error': msg['error']['condition'] if msg.xml.get('type') == 'error' else None,
        })

    def on_presence(self, pres):
        emit({
            'event': 'presence',
            'from': str(pres['from']),
            # The raw attribute: slixmpp reports <show/> in place of a missing type.
            'type': pres.xml.get('type', 'available'),
            'show': pres['show'] or None,
            'status': pres['status'] or None,
        })

    def on_roster_update(self, iq):
        if iq['type'] != 'set':
            return
        emit({'event': 'roster_push', 'items': roster_items(iq)})

    def on_stream_error(self, error):
        emit({'event': 'stream_error', 'condition': error['condition'], 'text': error['text']})

    def on_disconnected(self, reason):
        emit({'event': 'disconnected', 'reason': str(reason)})


def bind_source(client, address):
    """Connect from this local address (a loopback alias such as 127.1.0.1: a sign-in from another network)."""
    loop = client.loop
    create = loop.create_connection

    def from_source(*args, **kwargs):
        kwargs.setdefault('local_addr', (address, 0))
        return create(*args, **kwargs)
    loop.create_connection = from_source


def roster_items(iq):
    out = []
    for jid, item in iq['roster']['items'].items():
        out.append({'jid': str(jid), 'subscription': item['subscription'], 'ask': item['ask'] or None, 'name': item['name'] or None})
    return out


class Driver:
    def __init__(self):
        self.client = None

    async def handle(self, cmd):
        op = cmd.get('cmd')
        c = self.client
        if op == 'connect':
            self.client = c = Driven(cmd['jid'], cmd['password'], cmd.get('mech'))
            if cmd.get('source'):
                bind_source(c, cmd['source'])
            if cmd.get('certfile'):
                # A TLS client certificate (SASL EXTERNAL, XEP-0178): slixmpp loads it into its SSL context.
                c.certfile, c.keyfile = cmd['certfile'], cmd['keyfile']
            c.connect((cmd.get('host', '127.0.0.1'), cmd['port']), force_starttls=not cmd.get('direct_tls'), use_ssl=bool(cmd.get('direct_tls')))
            await asyncio.wait_for(c.started, cmd.get('timeout', 10))
            return {'jid': str(c.boundjid), 'mechanism': c['feature_mechanisms'].mech.name}
        if op in EXTRA_COMMANDS:
            # An extension command gets None before `connect` (e.g. in-band registration opens its own stream).
            return await EXTRA_COMMANDS[op](c, cmd)
        if c is None:
            raise RuntimeError('not connected')
        if op == 'send_presence':
            c.send_presence(pto=cmd.get('to'), ptype=cmd.get('type'), pshow=cmd.get('show'), pstatus=cmd.get('status'))
            return {}
        if op in ('subscribe', 'unsubscribe', 'unsubscribed'):
            c.send_presence(pto=cmd['to'], ptype=op)
            return {}
        if op == 'approve':
            c.send_presence(pto=cmd['to'], ptype='subscribed')
            return {}
        if op == 'send_message':
            c.send_message(mto=cmd['to'], mbody=cmd['body'], mtype=cmd.get('type', 'chat'))
            return {}
        if op == 'get_roster':
            iq = c.Iq(stype='get')
            iq.enable('roster')
            result = await iq.send(timeout=5)
            return {'items': roster_items(result)}
        if op == 'ping':
            await c['xep_0199'].send_ping(cmd.get('to') or c.boundjid.host, timeout=5)
            return {}
        if op == 'version':
            result = await c['xep_0092'].get_version(cmd.get('to') or c.boundjid.host, timeout=5)
            return {'name': result['software_version']['name'], 'version': result['software_version']['version']}
        if op == 'disco_info':
            result = await c['xep_0030'].get_info(jid=cmd.get('to') or c.boundjid.host, timeout=5)
            return {'features': list(result['disco_info']['features'])}
        if op == 'traffic':
            return c.traffic.as_reply()
        if op == 'last_activity':
            result = await c['xep_0012'].get_last_activity(cmd['to'], timeout=5)
            return {'seconds': int(result['last_activity']['seconds']), 'status': result['last_activity']['status'] or None}
        if op == 'get_blocked':
            result = await c['xep_0191'].get_blocked(timeout=5)
            return {'jids': sorted(str(j) for j in result['blocklist']['items'])}
        if op in ('block', 'unblock'):
            await getattr(c['xep_0191'], op)(cmd['jids'], timeout=5)
            return {}
        if op == 'disconnect':
            done = c.disconnect()
            if done is not None:
                await asyncio.wait_for(done, 5)
            return {}
        raise RuntimeError('unknown command %r' % op)

    async def shutdown(self):
        if self.client is not None and self.client.is_connected():
            done = self.client.disconnect()
            if done is not None:
                await done


def describe_error(e):
    if isinstance(e, IqError):
        return {'error': 'iq-error', 'condition': e.iq['error']['condition']}
    if isinstance(e, IqTimeout):
        return {'error': 'iq-timeout'}
    return {'error': '%s: %s' % (type(e).__name__, e)}


driver = Driver()
asyncio.run(serve(driver.handle, describe_error, driver.shutdown))
