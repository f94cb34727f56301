// Group matching on hand-made process facts: first match wins, AND across kinds, OR within
// comm and exe, AND within cmdline (as process-exporter), anchoring, templates, and laziness (exe and argv are read only when needed).
import t from 'tap';
import { compileGroups, GroupConfigError, type ProcessFacts } from '../../../src/collectors/process/matcher.js';
import type { ProcessGroupConfig } from '../../../src/config/schema.js';

interface Proc {
  comm: string;
  exe?: string;
  argv?: string[];
}

/** Facts that count how often exe and argv were asked for. */
function facts(p: Proc) {
  const reads = { exe: 0, argv: 0 };
  const f: ProcessFacts = {
    comm: p.comm,
    exe: () => (reads.exe++, p.exe),
    argv: () => (reads.argv++, p.argv ?? []),
  };
  return { f, reads };
}

const match = (groups: ProcessGroupConfig[], p: Proc) => compileGroups(groups).match(facts(p).f);

const nginx: Proc = { comm: 'nginx', exe: '/usr/sbin/nginx', argv: ['nginx: master process /usr/sbin/nginx', '-g', 'daemon off;'] };
const kafka: Proc = {
  comm: 'java',
  exe: '/usr/lib/jvm/java-17/bin/java',
  argv: ['/usr/bin/java', '-Xmx1g', '-jar', '/opt/kafka/kafka.jar', '--config', '/etc/kafka/server.properties'],
};
const kworker: Proc = { comm: 'kworker/0:1-events' };

t.test('the first matching group wins', async (t) => {
  const groups = [
    { name: 'web', comm: ['nginx'] },
    { name: 'everything', cmdline: ['.*'] },
  ];
  t.equal(match(groups, nginx), 'web');
  t.equal(match(groups, kafka), 'everything');
  t.equal(match([...groups].reverse(), nginx), 'everything');
});

t.test('comm regexes are anchored; any regex of the list may match', async (t) => {
  t.equal(match([{ name: 'x', comm: ['ngin'] }], nginx), undefined, 'no partial match');
  t.equal(match([{ name: 'x', comm: ['ngin.'] }], nginx), 'x');
  t.equal(match([{ name: 'x', comm: ['mysqld', 'nginx'] }], nginx), 'x');
  t.equal(match([{ name: 'x', comm: ['a|nginx'] }], nginx), 'x', 'alternation is anchored as a whole');
  t.equal(match([{ name: 'x', comm: ['kworker/.*'] }], kworker), 'x');
});

t.test('exe regexes match the full path or the basename, anchored', async (t) => {
  t.equal(match([{ name: 'x', exe: ['nginx'] }], nginx), 'x');
  t.equal(match([{ name: 'x', exe: ['/usr/sbin/nginx'] }], nginx), 'x');
  t.equal(match([{ name: 'x', exe: ['/usr/sbin/ngi'] }], nginx), undefined);
  t.equal(match([{ name: 'x', exe: ['sbin/nginx'] }], nginx), undefined, 'a path suffix is neither');
  t.equal(match([{ name: 'x', exe: ['/usr/lib/jvm/java-17/bin/java'] }], kafka), 'x', 'the real executable');
  t.equal(match([{ name: 'x', exe: ['/usr/bin/java'] }], kafka), 'x', 'or argv[0]');
  const python: Proc = { comm: 'python3', exe: '/usr/bin/python3.11', argv: ['python3', 'app.py'] };
  t.equal(match([{ name: 'x', exe: ['python3'] }], python), 'x', 'a symlinked interpreter by the name it was started as');
  t.equal(match([{ name: 'x', exe: ['python3\\.11'] }], python), 'x');
  t.equal(match([{ name: 'x', exe: ['app.py'] }], python), undefined, 'argv[0] only');
  t.equal(match([{ name: 'x', exe: ['.*'] }], kworker), undefined, 'kernel threads have no executable');
});

t.test('cmdline regexes search the argv joined by spaces', async (t) => {
  t.equal(match([{ name: 'x', cmdline: ['-jar\\s+\\S*kafka'] }], kafka), 'x');
  t.equal(match([{ name: 'x', cmdline: ['^/usr/bin/java -Xmx1g'] }], kafka), 'x');
  t.equal(match([{ name: 'x', cmdline: ['zookeeper', 'server\\.properties'] }], kafka), undefined, 'every regex of the list must match');
  t.equal(match([{ name: 'x', cmdline: ['kafka\\.jar', 'server\\.properties'] }], kafka), 'x', 'all of the list match');
  t.equal(match([{ name: 'x', cmdline: ['zookeeper'] }], kafka), undefined);
  t.equal(match([{ name: 'x', cmdline: ['master process'] }], nginx), 'x', 'a rewritten argv');
});

t.test('all kinds given must match', async (t) => {
  t.equal(match([{ name: 'x', comm: ['java'], cmdline: ['kafka'] }], kafka), 'x');
  t.equal(match([{ name: 'x', comm: ['java'], cmdline: ['zookeeper'] }], kafka), undefined);
  t.equal(match([{ name: 'x', comm: ['nginx'], exe: ['java'] }], kafka), undefined);
  t.equal(match([{ name: 'x', comm: ['java'], exe: ['java'], cmdline: ['-jar'] }], kafka), 'x');
});

t.test('exe and argv are read only when a group needs them, comm first', async (t) => {
  const m = compileGroups([
    { name: 'a', comm: ['mysqld'], cmdline: ['x'] },
    { name: 'b', comm: ['postgres'], exe: ['postgres'] },
  ]);
  const { f, reads } = facts(nginx);
  t.equal(m.match(f), undefined);
  t.same(reads, { exe: 0, argv: 0 }, 'comm ruled both out');

  const m2 = compileGroups([{ name: 'a', exe: ['nginx'] }]);
  const r2 = facts(nginx);
  t.equal(m2.match(r2.f), 'a');
  t.same(r2.reads, { exe: 1, argv: 0 }, 'argv[0] is not needed when the executable matches');
});

t.test('template names', async (t) => {
  t.equal(match([{ name: '{comm}', comm: ['.*'] }], nginx), 'nginx');
  t.equal(match([{ name: '{exebase}', comm: ['.*'] }], kafka), 'java');
  t.equal(match([{ name: '{exefull}', comm: ['.*'] }], kafka), '/usr/lib/jvm/java-17/bin/java');
  t.equal(match([{ name: 'k:{exebase}', comm: ['.*'] }], kworker), 'k:kworker/0:1-events', 'no executable: comm');
  t.equal(
    match([{ name: 'jar-{matches.jar}', cmdline: ['-jar\\s+\\S*/(?<jar>[^/\\s]+)\\.jar'] }], kafka),
    'jar-kafka',
  );
  t.equal(
    match([{ name: '{comm}/{matches.a}-{matches.b}{matches.c}', cmdline: ['(?<a>java)', '(?<b>kafka)|(?<c>zookeeper)'] }], kafka),
    'java/java-kafka',
    'captures come from every regex; a group that did not participate is empty',
  );
  t.equal(match([{ name: 'lit{eral', comm: ['.*'] }], nginx), 'lit{eral', 'an unclosed brace is literal');
});

t.test('fixed names are listed, templates are not', async (t) => {
  const m = compileGroups([
    { name: 'mysqld', comm: ['mysqld'] },
    { name: '{comm}', comm: ['.*'] },
    { name: 'mysqld', exe: ['mariadbd'] },
  ]);
  t.same(m.fixedNames, ['mysqld']);
  t.equal(m.size, 3);
});

t.test('bad templates are refused with a precise message', async (t) => {
  t.throws(() => compileGroups([{ name: '{pid}', comm: ['.*'] }]), {
    constructor: GroupConfigError,
    message: 'process group "{pid}": unknown placeholder {pid}; use {comm}, {exebase}, {exefull} or {matches.NAME}',
  });
  t.throws(() => compileGroups([{ name: '{matches.jar}', cmdline: ['-jar (\\S+)'] }]), {
    constructor: GroupConfigError,
    message: 'process group "{matches.jar}": {matches.jar} needs a cmdline regex with a named group (?<jar>...)',
  });
  t.throws(() => compileGroups([{ name: '{matches.jar}', comm: ['java'] }]), GroupConfigError);
});
