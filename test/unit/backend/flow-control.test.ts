/**
 * Streaming with flow control: rows reach the sink as they are read, pause()/resume() stop and
 * restart reading from the socket, and a connection left paused is resumed before its next
 * command (mysql2 never starts a command on a paused connection; the fake driver throws instead).
 */
import test from 'ava';
import type { RowSink } from '../../../src/backend/connection.js';
import { connectionOver } from './helpers/setup.js';

test('rows stream into the sink in order, after the fields, and are counted', async (t) => {
  const { db, driver } = connectionOver();
  const seen: string[] = [];
  const sink: RowSink = {
    fields: (fields, protocol, shape) =>
      seen.push(`fields:${fields.map((f) => f.name).join(',')}:${protocol}:${shape.columns.length}`),
    row: (row) => seen.push(`row:${row.join(',')}`),
  };
  const running = db.run('SELECT a, b FROM t', [], sink);
  driver.lastCommand.resultSet(
    ['a', 'b'],
    [
      ['1', 'x'],
      ['2', 'y'],
    ],
  );
  const outcome = await running;
  t.deepEqual(seen, ['fields:a,b:binary:2', 'row:1,x', 'row:2,y']);
  t.is(outcome.rowCount, 2);
  t.is(outcome.header, undefined);
});

test('a statement without rows resolves with its OK packet', async (t) => {
  const { db, driver } = connectionOver();
  const running = db.run('UPDATE t SET a = ?', [1], undefined);
  t.deepEqual(driver.lastCommand.values, [1]);
  driver.lastCommand.ok({ affectedRows: 3, insertId: 0 });
  const outcome = await running;
  t.is(outcome.rowCount, 0);
  t.is(outcome.header?.affectedRows, 3);
});

test('pause and resume reach the socket; resume when not paused does nothing', (t) => {
  const { db, driver } = connectionOver();
  db.resume();
  t.deepEqual(driver.calls, []);
  db.pause();
  t.true(driver.paused);
  db.resume();
  db.resume();
  t.false(driver.paused);
  t.deepEqual(driver.calls, ['pause', 'resume']);
});

test('a sink that pauses mid-result holds the rest back until it resumes', async (t) => {
  const { db, driver } = connectionOver();
  const rows: unknown[][] = [];
  const sink: RowSink = {
    fields: () => {},
    row: (row) => {
      rows.push(row);
      if (rows.length === 2) db.pause();
    },
  };
  const running = db.run('SELECT n FROM t', [], sink);
  const cmd = driver.lastCommand;
  cmd.emit('fields', []);
  cmd.emit('result', ['1']);
  cmd.emit('result', ['2']);
  t.true(driver.paused, 'the slow consumer stopped reading from the socket');
  db.resume();
  t.false(driver.paused);
  cmd.emit('result', ['3']);
  cmd.emit('end');
  t.is((await running).rowCount, 3);
  t.deepEqual(driver.calls, ['execute:SELECT n FROM t', 'pause', 'resume']);
});

test('a connection left paused is resumed before its next statement', async (t) => {
  const { db, driver } = connectionOver();
  db.pause();
  const running = db.run('SELECT 1', [], undefined);
  t.deepEqual(driver.calls, ['pause', 'resume', 'execute:SELECT 1']);
  driver.lastCommand.resultSet(['1'], [['1']]);
  await running;
});

test('a connection left paused is resumed before a ping, a query or a reset', async (t) => {
  for (const [what, call] of [
    ['ping', (db: ReturnType<typeof connectionOver>['db']) => db.ping()],
    ['query:SELECT 2', (db: ReturnType<typeof connectionOver>['db']) => db.exec('SELECT 2')],
    ['reset', (db: ReturnType<typeof connectionOver>['db']) => db.reset()],
  ] as const) {
    const { db, driver } = connectionOver();
    db.pause();
    await call(db);
    t.deepEqual(driver.calls.slice(0, 3), ['pause', 'resume', what], what);
  }
});

test('reset sends COM_RESET_CONNECTION, then re-applies the session settings', async (t) => {
  const { db, driver } = connectionOver();
  await db.reset();
  t.deepEqual(driver.calls, ['reset', 'query:SET time_zone = "+00:00"']);
});
