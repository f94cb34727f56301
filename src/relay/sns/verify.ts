// Checks that a message was signed by Amazon SNS: the certificate comes from SigningCertURL,
// which must be https on a trusted host (TLS to that host is what vouches for the certificate,
// as in AWS's SDK validators); SignatureVersion 1 is RSA with SHA1, 2 RSA with SHA256, over
// stringToSign(). node:crypto does it: the npm validators (sns-validator) fetch with the global
// CA store only and keep every certificate forever in a module-wide object.
import { verify as verifySignature, X509Certificate } from 'node:crypto';
import { SingleFlight } from '../../util/single-flight.js';
import { trustedGet, untrustedUrl, type TrustedFetchOptions } from './fetch.js';
import { stringToSign, type SnsMessage } from './message.js';

export type RejectReason = 'unsigned' | 'signature_version' | 'cert_url' | 'cert_invalid' | 'bad_signature';

/** A message that is not SNS's: 403, counted by reason. */
export class SnsRejected extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
  }
}

/** The certificate could not be fetched (network, timeout, 5xx): 503, so SNS retries. */
export class CertUnavailable extends Error {}

const ALGORITHMS: Readonly<Record<string, string>> = { '1': 'sha1', '2': 'sha256' };
/** SNS rotates its signing certificate rarely, under a new URL: a few cover every region in use. */
const MAX_CERTS = 64;
const MAX_CERT_BYTES = 64 * 1024;

export interface VerifierOptions {
  readonly hostPattern: RegExp;
  readonly ca?: string;
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export class SnsVerifier {
  private readonly certs = new Map<string, X509Certificate>();
  private readonly fetching = new SingleFlight<string, X509Certificate>();

  constructor(private readonly o: VerifierOptions) {}

  get fetchOptions(): TrustedFetchOptions {
    return { hostPattern: this.o.hostPattern, ...(this.o.ca !== undefined ? { ca: this.o.ca } : {}), timeoutMs: this.o.timeoutMs ?? 5000, maxBytes: MAX_CERT_BYTES };
  }

  /** Resolves when `m` is signed by SNS; throws SnsRejected (403) or CertUnavailable (503). */
  async verify(m: SnsMessage): Promise<void> {
    if (m.Signature === undefined || m.SigningCertURL === undefined || m.SignatureVersion === undefined) {
      const missing = ['Signature', 'SigningCertURL', 'SignatureVersion'].filter((f) => m[f as keyof SnsMessage] === undefined);
      throw new SnsRejected('unsigned', `unsigned message: ${missing.map((f) => `body.${f}`).join(', ')} missing`);
    }
    const algorithm = ALGORITHMS[m.SignatureVersion];
    if (algorithm === undefined) throw new SnsRejected('signature_version', `body.SignatureVersion: ${JSON.stringify(m.SignatureVersion.slice(0, 20))} is not 1 or 2`);
    const problem = untrustedUrl(m.SigningCertURL, this.o.hostPattern);
    if (problem !== undefined) throw new SnsRejected('cert_url', `body.SigningCertURL: ${problem}`);
    const cert = await this.certificate(m.SigningCertURL);
    const now = (this.o.now ?? Date.now)();
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
      throw new SnsRejected('cert_invalid', 'body.SigningCertURL: the signing certificate is not valid now');
    }
    const ok = verifySignature(algorithm, Buffer.from(stringToSign(m), 'utf8'), cert.publicKey, Buffer.from(m.Signature, 'base64'));
    if (!ok) throw new SnsRejected('bad_signature', 'body.Signature: does not match the message');
  }

  private async certificate(url: string): Promise<X509Certificate> {
    const cached = this.certs.get(url);
    if (cached !== undefined) return cached;
    const cert = await this.fetching.run(url, async () => {
      let res;
      try {
        res = await trustedGet(url, this.fetchOptions);
      } catch (err) {
        throw new CertUnavailable(`signing certificate not fetched: ${(err as Error).message}`);
      }
      if (res.status >= 500 || res.status === 429) throw new CertUnavailable(`signing certificate not fetched: HTTP ${res.status}`);
      if (res.status !== 200) throw new SnsRejected('cert_invalid', `body.SigningCertURL: answered HTTP ${res.status}`);
      try {
        return new X509Certificate(res.body);
      } catch {
        throw new SnsRejected('cert_invalid', 'body.SigningCertURL: not a PEM certificate');
      }
    });
    // Bounded: the oldest certificate goes first.
    if (this.certs.size >= MAX_CERTS) this.certs.delete(this.certs.keys().next().value!);
    this.certs.set(url, cert);
    return cert;
  }
}
