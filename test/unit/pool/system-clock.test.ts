import test from 'ava';
import { systemClock } from '../../../src/pool/clock.js';

test('systemClock timers are unref()ed and can be cleared', async (t) => {
  const handle = systemClock.setTimeout(() => t.fail('cleared timer fired'), 10) as NodeJS.Timeout;
  t.false(handle.hasRef());
  systemClock.clearTimeout(handle);
  let fired = false;
  await new Promise<void>((resolve) => {
    systemClock.setTimeout(() => {
      fired = true;
      resolve();
    }, 1);
    setTimeout(resolve, 1000); // a ref'ed guard so the test process stays alive meanwhile
  });
  t.true(fired);
});

test('systemClock.now() is wall-clock ms', (t) => {
  const before = Date.now();
  const now = systemClock.now();
  t.true(now >= before && now <= Date.now());
});
