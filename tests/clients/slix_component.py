#!/usr/bin/python3
"""An external component (XEP-0114) with slixmpp's ComponentXMPP, driven over JSON lines (jsonlines.py).

Commands: connect {jid, secret, port, echo}, send_message {from, to, body}, send_presence {from, to, type},
disconnect. Events: session_start, message, presence, stream_error, disconnected. With echo, every
message with a body is answered from the address it was sent to with "echo: <body>".
Run it with Debian's /usr/bin/python3 (python3-slixmpp).
"""
import asyncio
import logging
import os
import sys

from slixmpp.componentxmpp import ComponentXMPP

from jsonlines import emit, serve

logging.basicConfig(level=os.environ.get("PARLEY_DRIVER_LOG", "CRITICAL"), stream=sys.stderr)


class Component(ComponentXMPP):
    def __init__(self, jid, secret, port, echo):
        super().__init__(jid, secret, '127.0.0.1', port)
        self.echo = echo
        self.started = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', self.on_start)
        self.add_event_handler('message', self.on_message)
        self.add_event_handler('presence', self.on_presence)
        self.add_event_handler('stream_error', self.on_stream_error)
        self.add_event_handler('disconnected', self.on_disconnected)

    def on_start(self, _event):
        emit({'event': 'session_start', 'jid': str(self.boundjid)})
        if not self.started.done():
            self.started.set_result(True)

    def on_message(self, msg):
        emit({'event': 'message', 'from': str(msg['from']), 'to': str(msg['to']), 'type': msg['type'], 'body': msg['body']})
        if self.echo and msg['body'] and msg['type'] != 'error':
            self.send_message(mto=msg['from'], mfrom=msg['to'], mbody='echo: ' + msg['body'], mtype=msg['type'])

    def on_presence(self, pres):
        emit({'event': 'presence', 'from': str(pres['from']), 'to': str(pres['to']), 'type': pres['type'], 'show': None, 'status': None})

    def on_stream_error(self, error):
        emit({'event': 'stream_error', 'condition': error['condition'], 'text': error['text']})
        if not self.started.done():
            self.started.set_exception(RuntimeError(error['condition']))

    def on_disconnected(self, reason):
        emit({'event': 'disconnected', 'reason': str(reason)})
        if not self.started.done():
            self.started.set_exception(RuntimeError('disconnected'))


class Driver:
    def __init__(self):
        self.c = None

    async def handle(self, cmd):
        name = cmd['cmd']
        if name == 'connect':
            self.c = Component(cmd['jid'], cmd['secret'], cmd['port'], cmd.get('echo', False))
            self.c.connect()
            await asyncio.wait_for(self.c.started, 10)
            return {'jid': str(self.c.boundjid)}
        if name == 'send_message':
            self.c.send_message(mto=cmd['to'], mfrom=cmd['from'], mbody=cmd['body'], mtype=cmd.get('type', 'chat'))
            return {}
        if name == 'send_presence':
            self.c.send_presence(pto=cmd['to'], pfrom=cmd['from'], ptype=cmd.get('type'))
            return {}
        if name == 'disconnect':
            self.c.disconnect()
            await asyncio.wait_for(self.c.disconnected, 5)
            return {}
        raise ValueError('unknown command %s' % name)

    async def shutdown(self):
        if self.c is not None:
            self.c.disconnect()


def describe_error(e):
    return {'error': str(e) or type(e).__name__, 'condition': str(e)}


driver = Driver()
asyncio.run(serve(driver.handle, describe_error, driver.shutdown))
