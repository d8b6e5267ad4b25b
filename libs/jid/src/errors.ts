/** RFC 6120 §8.3.3.8: every JID preparation failure is reported as jid-malformed. */
export class JidError extends Error {
  readonly condition = 'jid-malformed' as const;

  constructor(message: string) {
    super(message);
    this.name = 'JidError';
  }
}
