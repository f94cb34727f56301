// Whether a client takes a gzipped answer, from its Accept-Encoding header (RFC 9110
// §12.5.3). Prometheus sends `Accept-Encoding: gzip`, as promhttp expects; the text
// format shrinks about fourfold, the status page's JSON about tenfold. Only gzip is offered:
// it is what scrapers and browsers send.

export type Encoding = 'identity' | 'gzip';

export function metricsEncoding(acceptEncoding: string | string[] | undefined): Encoding {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : (acceptEncoding ?? '');
  let gzip: number | undefined;
  let any: number | undefined;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (coding === 'gzip' || coding === 'x-gzip') gzip = weight;
    else if (coding === '*') any = weight;
  }
  // An explicit gzip;q=0 refuses gzip even when * is accepted.
  const weight = gzip ?? any ?? 0;
  return Number.isFinite(weight) && weight > 0 ? 'gzip' : 'identity';
}
