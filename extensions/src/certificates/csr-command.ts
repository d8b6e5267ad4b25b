// The XEP-0050 command an account gets a certificate from the server's client CA with: it submits a
// PKCS#10 request (its own key never leaves the device), the server signs it for the account's JID
// (the request's subject is ignored) and records it, so it signs in with SASL EXTERNAL at once.
import { PkiError, signCsr } from '@parley/pki';
import { type AdhocCommand, type CommandStep, dataForm } from '../adhoc/index.ts';

export const CERT_REQUEST_NODE = 'urn:parley:certs:request';
const MAX_CSR_CHARS = 16 * 1024;

export function certRequestCommand(opts: { days: number; passphrase: string | null }): AdhocCommand<null> {
  return {
    node: CERT_REQUEST_NODE,
    name: 'Request a client certificate',
    allowed: (ctx) => ctx.from.local !== null && ctx.from.domain === ctx.domain,
    async start() {
      return {
        status: 'executing',
        state: null,
        actions: ['complete'],
        form: dataForm('form', {
          title: 'Request a client certificate',
          instructions: 'Paste a certificate signing request (PEM). The certificate will name your address, and lets this device sign in without a password (SASL EXTERNAL).',
          fields: [
            { var: 'name', type: 'text-single', label: 'Name of this certificate (e.g. the device)', required: true },
            { var: 'csr', type: 'text-multi', label: 'Certificate signing request (PEM)', required: true },
          ],
        }),
      };
    },
    async next(ctx, { values }): Promise<CommandStep<null>> {
      if (!values) return { status: 'error', condition: 'bad-request', text: 'submit the form', badPayload: true };
      const name = (values.get('name')?.[0] ?? '').trim();
      const csr = (values.get('csr') ?? []).join('\n');
      if (name === '' || name.length > 100) return { status: 'error', condition: 'bad-request', text: 'a name of 1 to 100 characters is required', badPayload: true };
      if (csr.trim() === '' || csr.length > MAX_CSR_CHARS) return { status: 'error', condition: 'bad-request', text: 'a certificate signing request is required', badPayload: true };
      const store = ctx.env.store.clientCerts;
      const ca = await store.ca(ctx.domain);
      if (!ca) return { status: 'error', condition: 'service-unavailable', text: 'this server has no client CA (an administrator runs parley cert ca init)' };
      const user = ctx.from.local!;
      let issued: Awaited<ReturnType<typeof signCsr>>;
      try {
        issued = await signCsr(ca, `${user}@${ctx.domain}`, csr, opts);
      } catch (err) {
        if (err instanceof PkiError) return { status: 'error', condition: 'bad-request', text: err.message, badPayload: true };
        throw err;
      }
      const outcome = await store.add(user, ctx.domain, { fingerprint: issued.fingerprint, name, certPem: issued.certPem, source: 'issued', manage: true, notAfter: issued.notAfter });
      if (outcome === 'name-taken') return { status: 'error', condition: 'conflict', text: `a certificate named ${name} exists already`, badPayload: true };
      if (outcome !== 'ok') return { status: 'error', condition: 'conflict', text: 'the certificate could not be recorded' };
      return {
        status: 'completed',
        form: dataForm('result', {
          title: 'Your client certificate',
          fields: [
            { var: 'fingerprint', type: 'text-single', label: 'SHA-256 fingerprint', value: issued.fingerprint },
            { var: 'not-after', type: 'text-single', label: 'Valid until', value: issued.notAfter.toISOString() },
            { var: 'certificate', type: 'text-multi', label: 'Certificate (PEM)', value: issued.certPem.trimEnd().split('\n') },
          ],
        }),
        notes: [{ type: 'info', text: `Issued "${name}", valid until ${issued.notAfter.toISOString()}.` }],
      };
    },
  };
}
