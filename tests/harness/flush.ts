// Proving that a stanza did NOT arrive, without sleeping (ARCHITECTURE.md, Tests): a round trip
// that is ordered after the stanza in question has been handled and delivered.

export interface Pingable {
  /** A ping IQ to the server, resolved by its result. */
  ping(): Promise<void>;
}

export interface RosterReader {
  /** A roster get round trip (answered by the account's presence actor). */
  rosterGet(): Promise<unknown>;
}

/**
 * `flush(client)`: a ping round trip. Everything the server handed to `client`'s connection before
 * answering the ping has been received once this resolves (a connection's output is in order).
 */
export function flush(client: Pingable): Promise<void> {
  return client.ping();
}

/**
 * A presence broadcast is the work of the sender's presence actor, while a ping is answered by the
 * session actor. To prove that a broadcast did not reach `receiver`, first complete a roster get by
 * `sender` (the same presence actor handles it after the broadcast, in order), then flush the
 * receiver: a broadcast would have been written to the receiver's connection before that ping's answer.
 */
export async function flushPresence(sender: RosterReader, receiver: Pingable): Promise<void> {
  await sender.rosterGet();
  await flush(receiver);
}
