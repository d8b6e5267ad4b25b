// A Python client library behind tests/harness/driven.ts, as a participant in the matrix conversation.
import type { DrivenClient } from '../harness/driven.ts';
import type { ClientUnderTest } from './conversation.ts';

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
