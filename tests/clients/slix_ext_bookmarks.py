"""slixmpp commands for the XEP-0411 bookmarks conversion tests: XEP-0048 bookmarks kept in private
XML storage (XEP-0049) with slixmpp's own xep_0048 plugin, as legacy clients do."""
PLUGINS = ['xep_0048']

TIMEOUT = 5


async def bookmarks_set_private(c, cmd):
    """Stores the rooms as a XEP-0048 <storage/> through jabber:iq:private."""
    b = c['xep_0048'].stanza.Bookmarks()
    for r in cmd['rooms']:
        b.add_conference(r['jid'], r.get('nick'), name=r.get('name'), autojoin=r.get('autojoin'), password=r.get('password'))
    await c['xep_0048'].set_bookmarks(b, method='xep_0049', timeout=TIMEOUT)
    return {}


async def bookmarks_get_private(c, cmd):
    iq = await c['xep_0048'].get_bookmarks(method='xep_0049', timeout=TIMEOUT)
    rooms = []
    for conf in iq['private']['bookmarks']['conferences']:
        rooms.append({'jid': str(conf['jid']), 'name': conf['name'], 'autojoin': conf['autojoin'], 'nick': conf['nick']})
    return {'rooms': rooms}


COMMANDS = {
    'bookmarks_set_private': bookmarks_set_private,
    'bookmarks_get_private': bookmarks_get_private,
}
