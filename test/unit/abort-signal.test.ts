import test from 'ava';
import { CallAbort } from '../../src/abort-signal.js';

test('listeners run once, in order, with the reason readable', (t) => {
  const a = new CallAbort();
  const seen: string[] = [];
  a.addEventListener('abort', () => seen.push(`1:${String(a.reason)}`));
  a.addEventListener('abort', () => seen.push('2'), { once: true });
  t.false(a.aborted);
  t.is(a.reason, undefined);
  a.abort('why');
  a.abort('again');
  t.true(a.aborted);
  t.is(a.reason, 'why');
  t.deepEqual(seen, ['1:why', '2']);
});

test('a removed listener is not called; one added after the abort never is', (t) => {
  const a = new CallAbort();
  let calls = 0;
  const f = () => calls++;
  a.addEventListener('abort', f);
  a.removeEventListener('abort', f);
  a.removeEventListener('abort', f);
  a.abort(new Error('x'));
  a.addEventListener('abort', f);
  t.is(calls, 0);
});

test('a throwing listener does not stop the others; its error surfaces on the next tick', async (t) => {
  const a = new CallAbort();
  let second = false;
  a.addEventListener('abort', () => {
    throw new Error('boom');
  });
  a.addEventListener('abort', () => {
    second = true;
  });
  const uncaught = new Promise<unknown>((resolve) => {
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.once('uncaughtException', (err) => {
      for (const l of listeners) process.on('uncaughtException', l);
      resolve(err);
    });
  });
  a.abort('r');
  t.true(second);
  t.is(((await uncaught) as Error).message, 'boom');
});

test('a real AbortSignal and a CallAbort fit the same uses', (t) => {
  const real = new AbortController();
  const cheap = new CallAbort();
  for (const [signal, abort] of [
    [real.signal, (r: unknown) => real.abort(r)],
    [cheap, (r: unknown) => cheap.abort(r)],
  ] as const) {
    let reason: unknown;
    signal.addEventListener('abort', () => (reason = signal.reason), { once: true });
    abort('gone');
    t.is(reason, 'gone');
  }
});
