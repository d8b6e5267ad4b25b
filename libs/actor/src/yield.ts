/**
 * Resolves once the event loop has polled for I/O again (docs/decisions/0033): input that was already
 * waiting — the next stanza of whoever caused this work, the socket that carries her answer — is read,
 * and every microtask chain it starts runs to its next wait, before the caller goes on. Work that one
 * user's request causes for another (a delivery to the target's connections) goes after it, so that
 * nothing the requester can time queues behind it. The first `setImmediate` runs in this loop
 * iteration's check phase, the second in the next iteration's, which comes after that iteration's poll.
 */
export function afterWaitingInput(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
