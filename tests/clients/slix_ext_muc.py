"""Multi-user chat (XEP-0045) commands and events for slix_driver.py, through slixmpp's xep_0045 plugin."""
from slixmpp import JID
from slixmpp.exceptions import PresenceError
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from jsonlines import emit

PLUGINS = ['xep_0045', 'xep_0004']
MUC_USER = '{http://jabber.org/protocol/muc#user}'


def _codes(stanza):
    return sorted(s.get('code') for s in stanza.xml.findall('%sx/%sstatus' % (MUC_USER, MUC_USER)))


def attach(client):
    def on_presence(pres):
        item = pres.xml.find('%sx/%sitem' % (MUC_USER, MUC_USER))
        emit({
            'event': 'muc_presence',
            'from': str(pres['from']),
            'type': pres.xml.get('type', 'available'),
            'codes': _codes(pres),
            'jid': item.get('jid') if item is not None else None,
            'role': item.get('role') if item is not None else None,
            'affiliation': item.get('affiliation') if item is not None else None,
            'nick': item.get('nick') if item is not None else None,
        })

    # Invitations and declines are read from every message: slixmpp 1.8's groupchat_invite skips rooms
    # it believes it is in (a refused join leaves one behind) and groupchat_decline never fires.
    def on_message(msg):
        for kind in ('invite', 'decline'):
            el = msg.xml.find('%sx/%s%s' % (MUC_USER, MUC_USER, kind))
            if el is not None:
                emit({'event': 'muc_' + kind, 'room': str(msg['from']), 'from': el.get('from'),
                      'reason': el.findtext('%sreason' % MUC_USER)})

    client.add_event_handler('groupchat_presence', on_presence)
    # slixmpp's own 'message' event needs a <body/>; declines have none.
    client.register_handler(Callback('ParleyMucUserMessage', MatchXPath('{jabber:client}message/%sx' % MUC_USER), on_message))


async def muc_join(c, cmd):
    try:
        own, subject, occupants, history = await c['xep_0045'].join_muc_wait(
            JID(cmd['room']), cmd['nick'], password=cmd.get('password'), maxstanzas=cmd.get('maxstanzas'), timeout=5)
    except PresenceError as e:
        return {'joined': False, 'condition': e.condition}
    return {
        'joined': True,
        'codes': _codes(own),
        'occupants': sorted(str(p['from'].resource) for p in occupants),
        'history': [m['body'] for m in history],
        'subject': subject['subject'] if subject is not None else None,
    }


async def muc_configure(c, cmd):
    room = JID(cmd['room'])
    form = await c['xep_0045'].get_room_config(room, timeout=5)
    submit = form.get_fields()
    values = {}
    for var, value in cmd.get('fields', {}).items():
        values['muc#roomconfig_' + var] = value
    for var, field in submit.items():
        if var in values:
            field['value'] = values[var]
    form['type'] = 'submit'
    await c['xep_0045'].set_room_config(room, form, timeout=5)
    return {'fields': sorted(submit.keys())}


async def muc_leave(c, cmd):
    c['xep_0045'].leave_muc(JID(cmd['room']), cmd['nick'])
    return {}


async def muc_groupchat(c, cmd):
    c.send_message(mto=JID(cmd['room']), mbody=cmd['body'], mtype='groupchat')
    return {}


async def muc_whisper(c, cmd):
    c.send_message(mto=JID('%s/%s' % (cmd['room'], cmd['nick'])), mbody=cmd['body'], mtype='chat')
    return {}


async def muc_invite(c, cmd):
    c['xep_0045'].invite(JID(cmd['room']), JID(cmd['jid']), cmd.get('reason', ''))
    return {}


async def muc_decline(c, cmd):
    c['xep_0045'].decline(JID(cmd['room']), JID(cmd['jid']), cmd.get('reason', ''))
    return {}


async def muc_set_role(c, cmd):
    await c['xep_0045'].set_role(JID(cmd['room']), cmd['nick'], cmd['role'], reason=cmd.get('reason', ''), timeout=5)
    return {}


async def muc_set_affiliation(c, cmd):
    await c['xep_0045'].set_affiliation(JID(cmd['room']), cmd['affiliation'], jid=JID(cmd['jid']), reason=cmd.get('reason', ''), timeout=5)
    return {}


async def muc_affiliations(c, cmd):
    jids = await c['xep_0045'].get_affiliation_list(JID(cmd['room']), cmd['affiliation'], timeout=5)
    return {'jids': sorted(str(j) for j in jids)}


async def muc_rooms(c, cmd):
    result = await c['xep_0030'].get_items(jid=JID(cmd['service']), timeout=5)
    return {'rooms': [{'jid': str(j), 'name': n} for (j, _node, n) in result['disco_items']['items']]}


async def muc_real_jid(c, cmd):
    """The real JID slixmpp learned for an occupant (from its presence), or None."""
    jid = c['xep_0045'].get_jid_property(JID(cmd['room']), cmd['nick'], 'jid')
    return {'jid': str(jid) if jid else None}


COMMANDS = {
    'muc_join': muc_join,
    'muc_configure': muc_configure,
    'muc_leave': muc_leave,
    'muc_groupchat': muc_groupchat,
    'muc_whisper': muc_whisper,
    'muc_invite': muc_invite,
    'muc_decline': muc_decline,
    'muc_set_role': muc_set_role,
    'muc_set_affiliation': muc_set_affiliation,
    'muc_affiliations': muc_affiliations,
    'muc_rooms': muc_rooms,
    'muc_real_jid': muc_real_jid,
}
