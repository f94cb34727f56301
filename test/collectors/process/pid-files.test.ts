// The pure /proc parsers against fixture files copied from a real Linux 6.x /proc (and
// one synthetic stat line with a value per field).
import t from 'tap';
import { readFileSync } from 'node:fs';
import {
  ProcParseError,
  parseBootTime,
  parseCmdline,
  parseIo,
  parseOpenFilesLimit,
  parseStat,
  parseStatIdentity,
  parseStatus,
  parseUptime,
} from '../../../src/collectors/process/pid-files.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/process/${name}`, import.meta.url), 'utf8');

t.test('stat: every field, with a comm holding spaces and parentheses', async (t) => {
  const s = parseStat(fixture('stat-synthetic'));
  t.same(s, {
    pid: 4242,
    comm: '(my (weird) proc)',
    state: 'R',
    ppid: 1,
    minflt: 1010,
    majflt: 1212,
    utime: 1414,
    stime: 1515,
    numThreads: 3,
    starttime: 99999,
    vsize: 123456789,
    rss: 2500,
  });
  t.same(parseStatIdentity(fixture('stat-synthetic')), { comm: '(my (weird) proc)', starttime: 99999 });
});

t.test('stat: a real process renamed "(my (weird) proc)" (the kernel keeps 15 bytes)', async (t) => {
  const text = fixture('stat-weird');
  const s = parseStat(text);
  t.equal(s.comm, '(my (weird) pro');
  t.equal(s.state, 'S');
  t.equal(s.numThreads, 7);
  t.equal(s.starttime, 70010);
  t.equal(s.vsize, 745713664);
  t.equal(s.rss, 10042);
  t.same(parseStatIdentity(text), { comm: '(my (weird) pro', starttime: 70010 });
});

t.test('stat: kernel thread and zombie', async (t) => {
  const k = parseStat(fixture('stat-kthread'));
  t.equal(k.comm, 'kthreadd');
  t.equal(k.vsize, 0);
  t.equal(k.starttime, 24);
  const z = parseStat(fixture('stat-zombie'));
  t.equal(z.state, 'Z');
  t.equal(z.rss, 0);
});

t.test('stat: malformed input throws ProcParseError', async (t) => {
  t.throws(() => parseStat('1 (x S 1 2'), ProcParseError);
  t.throws(() => parseStatIdentity('1 (x) S 1 2 3'), ProcParseError);
  t.throws(() => parseStat(''), ProcParseError);
});

t.test('status: memory in bytes, context switches, state', async (t) => {
  t.same(parseStatus(fixture('status-multithreaded')), {
    state: 'S',
    residentBytes: 40356 * 1024,
    swappedBytes: 1234 * 1024,
    voluntaryCtxtSwitches: 4,
    nonvoluntaryCtxtSwitches: 14,
  });
  const k = parseStatus(fixture('status-kthread'));
  t.equal(k.residentBytes, 0, 'no VmRSS line for a kernel thread');
  t.equal(k.voluntaryCtxtSwitches, 61);
  const z = parseStatus(fixture('status-zombie'));
  t.equal(z.state, 'Z');
  t.equal(z.residentBytes, 0);
  t.equal(z.nonvoluntaryCtxtSwitches, 1);
  t.throws(() => parseStatus('Name:\tx\n'), ProcParseError);
});

t.test('io: read_bytes and write_bytes, not cancelled_write_bytes', async (t) => {
  t.same(parseIo(fixture('io')), { readBytes: 8192, writeBytes: 4096 });
  t.throws(() => parseIo('rchar: 1\n'), ProcParseError);
});

t.test('limits: the soft open-files limit', async (t) => {
  t.equal(parseOpenFilesLimit(fixture('limits')), 20000);
  t.equal(parseOpenFilesLimit(fixture('limits-unlimited')), Infinity);
  t.throws(() => parseOpenFilesLimit('Limit Soft Hard\n'), ProcParseError);
});

t.test('cmdline: NUL-separated argv; rewritten argv keeps its spaces; kernel threads have none', async (t) => {
  t.same(parseCmdline(fixture('cmdline')), ['/usr/bin/node', '-e', 'setInterval(() => {}, 1000)', 'tocsin-test-abc']);
  t.same(parseCmdline(fixture('cmdline-rewritten')), ['(my (weird) proc)']);
  t.same(parseCmdline(''), []);
  t.same(parseCmdline('a\0\0b\0'), ['a', '', 'b'], 'empty arguments in the middle are kept');
});

t.test('boot time and uptime', async (t) => {
  t.equal(parseBootTime(fixture('proc-stat')), 1795272780);
  t.equal(parseUptime(fixture('uptime')), 708.28);
  t.throws(() => parseBootTime('cpu 1 2 3\n'), ProcParseError);
  t.throws(() => parseUptime(''), ProcParseError);
});
