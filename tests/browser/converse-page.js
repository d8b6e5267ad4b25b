// In-page side of the Converse.js matrix test: a Converse plugin that hands the test Converse's own
// API (no UI scraping past the login form) and records every stanza Converse sends and receives.
// Everything here calls what Converse itself does when a user clicks: add a contact, accept a
// request, send a message.
(() => {
  const traffic = { sent: [], received: [] };
  let api;
  let state;
  let ready;
  const whenReady = new Promise((resolve) => {
    ready = resolve;
  });

  window.converse.plugins.add('parley-test', {
    initialize() {
      api = this._converse.api;
      state = this._converse.state;
      api.listen.on('connectionInitialized', () => {
        const c = api.connection.get();
        const input = c.xmlInput.bind(c);
        const output = c.xmlOutput.bind(c);
        c.xmlInput = (el) => {
          traffic.received.push(el.outerHTML);
          input(el);
        };
        c.xmlOutput = (el) => {
          traffic.sent.push(el.outerHTML);
          output(el);
        };
      });
      api.listen.on('connected', () => ready());
    },
  });

  const contact = (jid) => state.roster?.get(jid);
  const bare = (jid) => jid.split('/')[0];

  window.parley = {
    /** Converse's documented start, with nothing but where to connect (and our plugin) configured. */
    start(websocketUrl) {
      window.converse.initialize({ websocket_url: websocketUrl, whitelisted_plugins: ['parley-test'] });
    },
    async session() {
      await whenReady;
      await api.waitUntil('rosterContactsFetched');
      return api.connection.get().jid;
    },
    traffic: () => ({ sent: [...traffic.sent], received: [...traffic.received] }),
    /** The "Add a contact" form: adds the roster item and asks for a subscription. */
    subscribe: (jid) => api.contacts.add({ jid, nickname: jid.split('@')[0] }),
    /** True once a request from `jid` reached Converse (it answers a contact it asked itself). */
    hasRequest: (jid) =>
      traffic.received.some((x) => x.startsWith('<presence') && x.includes(`from="${jid}"`) && x.includes('type="subscribe"')),
    /** The "Accept" button of a contact request, when Converse has not approved it already. */
    approve(jid) {
      const c = contact(jid);
      if (c?.get('requesting')) c.authorize();
    },
    /** True once Converse shows the contact behind `fullJid` online. */
    isOnline: (fullJid) => contact(bare(fullJid))?.getStatus() === 'online',
    async send(jid, body) {
      const chat = await api.chats.open(jid, {}, true);
      await chat.sendMessage({ body });
    },
    /** The last body Converse shows in the chat with the sender of `fullJid`, or null. */
    lastBodyFrom(fullJid) {
      const messages = state.chatboxes?.get(bare(fullJid))?.messages;
      const m = messages?.filter((x) => x.get('from') === fullJid && x.get('body')).pop();
      return m?.get('body') ?? null;
    },
    logout: () => api.user.logout(),
  };
})();
