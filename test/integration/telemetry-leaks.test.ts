/**
 * No parameter value, password or bearer token ever reaches telemetry: after traffic that binds a
 * distinctive value (in params, in a SQL literal, in statements whose MySQL error messages echo
 * it) and a cluster whose password MySQL refuses, the value and both passwords are absent from
 * every exported span, every metric (collected, scraped and sent over OTLP) and every log line;
 * so are the caller's token, its digest and a wrong token tried by an intruder.
 */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { Code } from '../../src/errors.js';
import { sandbox } from '../helpers/sandbox.js';
import { hashToken, newToken } from '../../src/auth/tokens.js';
import {
  type AnyMessage,
  connectClient,
  errorDetails,
  execute,
  query,
  TxStream,
  v,
} from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { inMemoryTelemetry, OtlpReceiver, scrape } from './helpers/telemetry.js';

const T = 'tel_leak_items';
const VALUE = `zq-param-${randomBytes(6).toString('hex')}`;
const LITERAL = `zq-literal-${randomBytes(6).toString('hex')}`;
const WRONG_PASSWORD = `zq-wrong-password-${randomBytes(6).toString('hex')}`;
const TOKEN = newToken();
const WRONG_TOKEN = newToken();

test('a distinctive value and the passwords appear in no span, metric or log line', async (t) => {
  const tel = inMemoryTelemetry();
  const receiver = await OtlpReceiver.start();
  t.teardown(() => receiver.close());
  let gw: TestGateway | undefined = await startGateway(
    {
      admin: { port: 0 },
      log: { level: 'trace' },
      telemetry: { enabled: true, otlpEndpoint: receiver.endpoint, sqlCommenter: true },
      auth: { enabled: true, principals: { app: { tokenSha256: [hashToken(TOKEN)] } } },
      clusters: {
        refused: {
          primary: {
            host: sandbox.host,
            port: sandbox.primaryPort,
            user: sandbox.gatewayUser,
            password: WRONG_PASSWORD,
          },
          reconnect: { attempts: 1 },
        },
      },
    },
    tel.options,
  );
  t.teardown(() => gw?.stop());
  const client = connectClient(gw.port, { token: TOKEN });
  t.teardown(() => client.close());
  const intruder = connectClient(gw.port, { token: WRONG_TOKEN });
  t.teardown(() => intruder.close());
  const denied = await query(intruder, { sql: 'SELECT 1' }).catch((e: unknown) => e);
  t.like(errorDetails(denied), { code: Code.UNAUTHENTICATED, reason: 'BAD_TOKEN' });
  await execute(client, { sql: `DROP TABLE IF EXISTS ${T}` });
  await execute(client, { sql: `CREATE TABLE ${T} (k VARCHAR(64) PRIMARY KEY, n INT) ENGINE=InnoDB` });

  await execute(client, { sql: `INSERT INTO ${T} VALUES (?, ?)`, params: [v.str(VALUE), v.i64(1)] });
  // MySQL's message echoes the value: "Duplicate entry '<value>' for key 'PRIMARY'".
  const dup = await execute(client, { sql: `INSERT INTO ${T} VALUES (?, 2)`, params: [v.str(VALUE)] }).catch(
    (e: unknown) => e,
  );
  t.like(errorDetails(dup), { code: Code.ALREADY_EXISTS, reason: 'DUPLICATE_KEY', errno: '1062' });
  t.true(errorDetails(dup).details.includes(VALUE), 'the client itself does get the server message');
  const read = await query(client, { sql: `SELECT k FROM ${T} WHERE k = ?`, params: [v.str(VALUE)] });
  t.is((read.rows[0] as AnyMessage[])[0].string_value, VALUE, 'the value did travel through the gateway');
  await query(client, { sql: `SELECT k FROM ${T} WHERE k <> '${LITERAL}'` });
  // "Truncated incorrect INTEGER value: '<value>'" style errors, in a transaction.
  const tx = new TxStream(client);
  await tx.begin();
  await tx.execute(`UPDATE ${T} SET n = n + 1 WHERE k = ?`, [v.str(VALUE)]);
  const bad = await tx.query(`SELECT k FROM ${T} WHERE k = ? AND n = ?`, [v.str(VALUE), v.str(VALUE)]);
  // Not an error: MariaDB compares the INT column with the string as a number; no row matches.
  t.is(bad.last.error, undefined);
  t.is(bad.last.done?.row_count, '0');
  // In-band statement error: the stream goes on.
  const dupInTx = await tx.execute(`INSERT INTO ${T} VALUES (?, 3)`, [v.str(VALUE)]);
  t.like(dupInTx.error, { code: Code.ALREADY_EXISTS, reason: 'DUPLICATE_KEY', mysql_errno: 1062 });
  await tx.rollback();
  await tx.status;
  // The refused cluster: wrong password, access denied.
  const refused = await query(client, { cluster: 'refused', sql: 'SELECT ?', params: [v.str(VALUE)] }).catch(
    (e: unknown) => e,
  );
  t.like(errorDetails(refused), { code: Code.PERMISSION_DENIED, reason: 'ACCESS_DENIED' });
  await execute(client, { sql: `DROP TABLE IF EXISTS ${T}` });

  const metricsText = (await scrape(gw.gateway.adminPort as number)).text;
  const collected = JSON.stringify(await tel.metrics.resourceMetrics());
  await gw.gateway.telemetry.flush();
  await gw.assertNoLeaks();
  // Read before stop: shutting the provider down empties the in-memory exporter.
  const spans = JSON.stringify(
    tel.spans.getFinishedSpans().map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events,
      status: s.status,
      resource: s.resource.attributes,
      links: s.links,
    })),
  );
  const logs = gw.logs;
  await gw.stop();
  gw = undefined;
  const otlp = receiver.requests.map((r) => r.body.toString('latin1')).join('\n');

  // The haystacks are real: they hold what the traffic did.
  t.true(spans.includes(`INSERT INTO ${T} VALUES (?, ?)`));
  t.true(spans.includes('"db.response.status_code":"1062"'));
  t.true(metricsText.includes('db_client_operation_duration_count'));
  t.true(collected.includes('db.client.operation.duration'));
  t.true(otlp.includes('db.query.text') && otlp.includes('db.client.operation.duration'));
  t.true(logs.some((l) => l.includes('"errno":1062')));
  t.true(logs.some((l) => l.includes('ACCESS_DENIED') || l.includes('access denied')));

  const secrets = {
    VALUE,
    LITERAL,
    WRONG_PASSWORD,
    'sandbox password': sandbox.gatewayPassword(),
    TOKEN,
    WRONG_TOKEN,
    'token digest': hashToken(TOKEN),
  };
  const haystacks = {
    spans,
    'scraped metrics': metricsText,
    'collected metrics': collected,
    otlp,
    logs: logs.join(''),
  };
  for (const [what, secret] of Object.entries(secrets)) {
    for (const [where, text] of Object.entries(haystacks)) {
      t.false(text.includes(secret), `${what} leaked into ${where}`);
    }
  }
});
