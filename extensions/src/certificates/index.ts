// Certificate accounts (docs/certificates.md): SASL EXTERNAL on a TLS client certificate (XEP-0178
// §2), the account's own management of its certificates (XEP-0257), and a certificate from the
// server's client CA for a CSR (an XEP-0050 command). `parley cert` is the administrators' side.
import type { ExtensionModule } from '@parley/ext';
import type { CommandRegistry } from '../adhoc/index.ts';
import { certRequestCommand } from './csr-command.ts';
import { externalMechanism } from './external.ts';
import { NS_SASLCERT, saslcertIqs } from './saslcert.ts';

export { CERT_REQUEST_NODE } from './csr-command.ts';
export { EXTERNAL } from './external.ts';
export { NS_SASLCERT, REVOKED_TEXT } from './saslcert.ts';

export interface CertificateOptions {
  commands: CommandRegistry;
  /** Ask TLS clients for certificates and offer EXTERNAL (PARLEY_CERT_AUTH). */
  enabled: boolean;
  /** Validity of certificates issued for a CSR (PARLEY_CERT_DAYS). */
  days: number;
  /** Decrypts the client CA key (PARLEY_CERT_CA_PASSPHRASE). */
  passphrase: string | null;
}

export function certificateAccounts(opts: CertificateOptions): ExtensionModule {
  opts.commands.register(certRequestCommand({ days: opts.days, passphrase: opts.passphrase }));
  return {
    name: 'certificates',
    specs: ['XEP-0178 §2', 'XEP-0257', 'RFC 6120 §13.7.1.4'],
    settings: ['certAuth', 'certDays', 'certCaPassphrase'],
    storage: ['client_ca', 'client_certs'],
    disco: [{ on: ['server'], features: [NS_SASLCERT] }],
    edge: { ...(opts.enabled ? { sasl: [externalMechanism] } : {}), localIq: saslcertIqs },
  };
}
