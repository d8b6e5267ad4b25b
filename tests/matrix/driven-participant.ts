// A Python client library behind tests/harness/driven.ts, as a participant in the matrix conversation.
import { DrivenClient, type DriverEvent } from '../harness/driven.ts';
import type { Account, ClientUnderTest } from './conversation.ts';

export function drivenParticipant(c: DrivenClient): ClientUnderTest {
  return {
    jid: c.jid,
    mechanism: c.mechanism,
    subscribe: async (to) => void (await c.subscribe(to)),
    approve: async (to) => void (await c.approve(to)),
    subscriptionRequest: async (from) => void (await c.presence((p) => p.type === 'subscribe' && p.from === from, `a subscription request from ${from}`)),
    available: async (from) => void (await c.presence((p) => p.type === 'available' && p.from === from, `available presence from ${from}`)),
    sendMessage: async (to, body) => void (await c.sendMessage(to, body)),
    messageFrom: async (from) => (await c.message((m) => m.from === from, `a message from ${from}`)).body,
    traffic: () => c.traffic(),
    disconnect: () => c.disconnect(),
    stop: () => c.stop(),
  };
}

/** aioxmpp (tests/clients/aioxmpp_driver.py) logging in on `port`; `onLogin` sees the connect reply. */
export function aioxmppLogin(port: number, onLogin: (reply: DriverEvent) => void = () => {}) {
  return async (a: Account): Promise<ClientUnderTest> => {
    const c = await DrivenClient.start('aioxmpp_driver.py', `aioxmpp ${a.user}`);
    try {
      onLogin(await c.login({ jid: `${a.jid}/aioxmpp`, password: a.password, port }));
    } catch (err) {
      await c.stop();
      throw err;
    }
    return drivenParticipant(c);
  };
}
