"""slixmpp commands for the XEP-0077 in-band registration tests: registering on a stream of its own
(before authentication, as slixmpp's xep_0077 does when the server offers the register feature),
with the token in the data form or in a XEP-0445 <preauth/> first; and, signed in, account removal
(§3.2) and password change (§3.3)."""
import asyncio
import ssl

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import ET


PLUGINS = ['xep_0004', 'xep_0077']


def _error(e):
    if isinstance(e, IqError):
        return {'ok': False, 'condition': e.iq['error']['condition'], 'type': e.iq['error']['type'], 'text': e.iq['error']['text']}
    if isinstance(e, IqTimeout):
        return {'ok': False, 'condition': 'timeout'}
    raise e


async def ibr_register(_c, cmd):
    """Opens a stream to the server, registers `username` (no sign-in), and closes it."""
    reg = slixmpp.ClientXMPP(cmd['domain'], cmd['password'])
    reg.register_plugin('xep_0030')
    reg.register_plugin('xep_0004')
    reg.register_plugin('xep_0077')
    # slixmpp 1.8.3 queues every stanza but bind and session until a session started, its own
    # xep_0077 registration IQs included, so pre-auth registration never leaves the client; let them go.
    reg._always_send_everything = True
    reg.ssl_context.check_hostname = False
    reg.ssl_context.verify_mode = ssl.CERT_NONE
    done = asyncio.get_event_loop().create_future()
    features = {}

    async def on_register(form_iq):
        features['fields'] = [f.get('var') for f in form_iq.xml.iter('{jabber:x:data}field') if f.get('var')]
        try:
            if cmd.get('via') == 'preauth':
                pre = reg.Iq()
                pre['type'] = 'set'
                el = ET.Element('{urn:xmpp:pars:0}preauth')
                el.set('token', cmd['token'])
                pre.append(el)
                await pre.send(timeout=10)
            iq = reg.Iq()
            iq['type'] = 'set'
            if cmd.get('via') == 'form':
                sub = reg['xep_0004'].make_form(ftype='submit')
                sub.add_field(var='FORM_TYPE', ftype='hidden', value='jabber:iq:register')
                sub.add_field(var='username', value=cmd['username'])
                sub.add_field(var='password', value=cmd['password'])
                if cmd.get('token'):
                    sub.add_field(var='token', value=cmd['token'])
                iq['register'].append(sub)
            else:
                iq['register']['username'] = cmd['username']
                iq['register']['password'] = cmd['password']
            await iq.send(timeout=10)
            result = {'ok': True}
        except (IqError, IqTimeout) as e:
            result = _error(e)
        if not done.done():
            done.set_result(result)
        reg.disconnect()

    reg.add_event_handler('register', on_register)
    # Without the register stream feature slixmpp goes on to sign in as the domain, and fails.
    reg.add_event_handler('failed_auth', lambda _e: done.done() or done.set_result({'ok': False, 'condition': 'not-offered'}))
    reg.add_event_handler('disconnected', lambda _e: done.done() or done.set_result({'ok': False, 'condition': 'disconnected'}))
    reg.connect(('127.0.0.1', cmd['port']))
    result = await asyncio.wait_for(done, 15)
    result['fields'] = features.get('fields', [])
    return result


async def ibr_cancel(c, _cmd):
    try:
        await c['xep_0077'].cancel_registration(timeout=10)
        return {'ok': True}
    except (IqError, IqTimeout) as e:
        return _error(e)


async def ibr_change_password(c, cmd):
    try:
        await c['xep_0077'].change_password(cmd['password'], timeout=10)
        return {'ok': True}
    except (IqError, IqTimeout) as e:
        return _error(e)


async def ibr_status(c, _cmd):
    iq = c.Iq()
    iq['type'] = 'get'
    iq.enable('register')
    result = await iq.send(timeout=10)
    return {'registered': result['register']['registered'], 'username': result['register']['username']}


COMMANDS = {'ibr_register': ibr_register, 'ibr_cancel': ibr_cancel, 'ibr_change_password': ibr_change_password, 'ibr_status': ibr_status}
