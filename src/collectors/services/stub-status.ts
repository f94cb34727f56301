// nginx's stub_status page (ngx_http_stub_status_module), e.g.
//
//   Active connections: 3
//   server accepts handled requests
//    120 120 450
//   Reading: 0 Writing: 1 Waiting: 2
//
// parsed as strictly as nginx-prometheus-exporter does: a page that does not look like this
// (a proxy's error page, a wrong URL answering 200) is an error, not zeros.
export interface StubStatus {
  readonly active: number;
  readonly accepted: number;
  readonly handled: number;
  readonly requests: number;
  readonly reading: number;
  readonly writing: number;
  readonly waiting: number;
}

const PAGE =
  /^Active connections:\s*(\d+)\s*\nserver accepts handled requests\s*\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\nReading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)\s*$/;

export function parseStubStatus(text: string): StubStatus {
  const m = PAGE.exec(text.replace(/\r\n/g, '\n').trim());
  if (!m) throw new Error('the answer is not an nginx stub_status page (is the URL the stub_status location?)');
  const [active, accepted, handled, requests, reading, writing, waiting] = m.slice(1).map(Number) as [
    number, number, number, number, number, number, number,
  ];
  return { active, accepted, handled, requests, reading, writing, waiting };
}
