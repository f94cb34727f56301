// What a TLS handshake tells a probe: the protocol version and the peer chain's earliest
// expiry, subject and issuer (blackbox_exporter's probe_tls_version_info and
// probe_ssl_earliest_cert_expiry), and which failure reason a refused certificate is.
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { FailureReason, TlsInfo } from './prober.js';

function distinguishedName(name: Record<string, string | string[]> | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(',');
}

/** The peer's certificates, leaf first, each once (a self-signed root points at itself). */
function chain(socket: TLSSocket): DetailedPeerCertificate[] {
  const out: DetailedPeerCertificate[] = [];
  let cert = socket.getPeerCertificate(true);
  while (cert && Object.keys(cert).length > 0 && !out.includes(cert) && out.length < 16) {
    out.push(cert);
    if (!cert.issuerCertificate || cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return out;
}

export function tlsInfo(socket: TLSSocket): TlsInfo | undefined {
  const certs = chain(socket);
  const leaf = certs[0];
  if (!leaf) return undefined;
  const earliest = Math.min(...certs.map((c) => Date.parse(c.valid_to) / 1000).filter(Number.isFinite));
  return {
    // "TLSv1.3" -> "TLS 1.3", blackbox_exporter's spelling.
    version: (socket.getProtocol() ?? 'unknown').replace(/^TLSv/, 'TLS '),
    earliestExpiry: Number.isFinite(earliest) ? earliest : 0,
    subject: distinguishedName(leaf.subject as unknown as Record<string, string>),
    issuer: distinguishedName(leaf.issuer as unknown as Record<string, string>),
  };
}

/** The reason for a certificate the client refused (Node's authorizationError code). */
export function certificateReason(code: string): FailureReason {
  return code === 'CERT_HAS_EXPIRED' ? 'tls_expired' : 'tls';
}
