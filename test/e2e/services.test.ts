// End to end with a real MariaDB and a real nginx: stopping the server fires MySQLDown (and
// stopping nginx NginxDown) in the critical channel through Tocsin's collectors, Prometheus,
// Alertmanager and the relay, and starting it again sends the resolved notice.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMonitoringUser, startMariaDb } from '../helpers/mariadb-server.js';
import { startNginx } from '../helpers/nginx-server.js';
import { startStack, until } from '../helpers/stack.js';

t.test('MySQL and nginx down fire in the critical channel and resolve, through Prometheus and Alertmanager', async (t) => {
  const db = await startMariaDb(t);
  await createMonitoringUser(db, 'tocsin', 'e2e-mysql-password');
  writeFileSync(join(db.dir, 'tocsin-password'), 'e2e-mysql-password\n');
  const nginx = await startNginx(t);
  // Prometheus scrapes every second here (scrape timeout 1 s): the collectors' own timeouts stay below it.
  const stack = await startStack(
    t,
    `    nginx:
      enabled: true
      timeout: 500ms
      endpoints: [{url: '${nginx.statusUrl}'}]
    mysql:
      enabled: true
      port: ${db.port}
      user: tocsin
      password_file: ${join(db.dir, 'tocsin-password')}
      timeout: 500ms`,
  );
  const up = async (name: string) => Number((await stack.query(name))[0]?.value[1] ?? NaN);
  await until('Prometheus to see MySQL and nginx up', 30_000, async () => (await up('mysql_up')) === 1 && (await up('nginx_up')) === 1);
  t.pass('Prometheus sees mysql_up 1 and nginx_up 1');

  const mysqlDown = () => stack.messages('critical', 'MySQLDown');
  await db.stop();
  await until('the MySQLDown notification', 60_000, () => mysqlDown().length > 0);
  t.match(mysqlDown()[0]!, /FIRING/, 'firing message');
  t.match(mysqlDown()[0]!, /MySQL on [^ ]+ is down/, 'its summary');
  t.match(mysqlDown()[0]!, /<!here>/, 'critical mention');
  t.same(stack.messages('warning', 'MySQLDown'), [], 'not in the warning channel');
  t.notMatch(JSON.stringify(stack.slack.requestsTo('/critical')), /e2e-mysql-password/, 'the password is in no message');

  await db.restart();
  await until('the MySQLDown resolved notice', 60_000, () => mysqlDown().some((m) => m.includes('RESOLVED')));
  t.equal(mysqlDown().filter((m) => m.includes('RESOLVED')).length, 1, 'one resolved notice');

  const nginxDown = () => stack.messages('critical', 'NginxDown');
  await nginx.stop();
  await until('the NginxDown notification', 60_000, () => nginxDown().length > 0);
  t.match(nginxDown()[0]!, /nginx on [^ ]+ does not answer/, 'its summary');
  await startNginx(t, { port: nginx.port }, nginx.dir);
  await until('the NginxDown resolved notice', 60_000, () => nginxDown().some((m) => m.includes('RESOLVED')));
  t.pass('nginx down fired and resolved');
});
