"""Privacy commands for the slixmpp driver: publisher control (issue 15 item 5), the ad-hoc command
`list-subscribers` (XEP-0050) run with slixmpp's own xep_0050 and xep_0004 plugins."""
from slixmpp.exceptions import IqError

PLUGINS = ['xep_0004', 'xep_0050']
TIMEOUT = 10
NODE = 'list-subscribers'


def _fields(iq):
    form = iq['command'].xml.find('{jabber:x:data}x')
    out = {}
    if form is None:
        return out
    for f in form.findall('{jabber:x:data}field'):
        if f.get('var'):
            out[f.get('var')] = {
                'type': f.get('type'),
                'values': [v.text or '' for v in f.findall('{jabber:x:data}value')],
                'options': [o.findtext('{jabber:x:data}value') for o in f.findall('{jabber:x:data}option')],
            }
    return out


async def list_subscribers(c, cmd):
    """Runs the command: lists the subscribers, then submits `cancel` (JIDs to cancel; none: only list)."""
    try:
        first = await c['xep_0050'].send_command(c.boundjid.host, NODE, timeout=TIMEOUT)
    except IqError as e:
        return {'error': e.iq['error']['condition']}
    listed = _fields(first).get('subscribers', {}).get('options', [])
    form = c['xep_0004'].make_form(ftype='submit')
    form.add_field(var='subscribers', ftype='list-multi', value=cmd.get('cancel', []))
    try:
        done = await c['xep_0050'].send_command(c.boundjid.host, NODE, action='complete', payload=form,
                                                sessionid=first['command']['sessionid'], timeout=TIMEOUT)
    except IqError as e:
        return {'listed': listed, 'error': e.iq['error']['condition']}
    fields = _fields(done)
    return {
        'listed': listed,
        'status': done['command']['status'],
        'cancelled': fields.get('cancelled', {}).get('values', []),
        'remaining': fields.get('subscribers', {}).get('values', []),
    }


COMMANDS = {'list_subscribers': list_subscribers}
