import test from 'ava';
import { PROFILE_DEFAULTS, PROFILES } from '../../../src/config/index.js';
import { configError, issueAt, loadObject } from './helpers.js';

const withSqlMode = (sqlMode: string, where: 'primary' | 'replica' = 'primary') => {
  const backend = { host: 'h', user: 'u', sqlMode };
  return {
    clusters: {
      default:
        where === 'primary'
          ? { primary: backend }
          : { primary: { host: 'p', user: 'u' }, replicas: [{ host: 'r', user: 'u' }, backend] },
    },
  };
};

const refused = [
  'NO_BACKSLASH_ESCAPES',
  'no_backslash_escapes',
  'STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES',
  'NO_BACKSLASH_ESCAPES,ANSI_QUOTES',
] as const;

for (const mode of refused) {
  test(`sqlMode ${mode} is refused with the reason`, async (t) => {
    const error = await configError(t, loadObject(t, withSqlMode(mode)));
    const issue = issueAt(t, error, 'clusters.default.primary.sqlMode');
    t.regex(issue.message, /NO_BACKSLASH_ESCAPES/);
    t.regex(issue.message, /escap/);
  });
}

test('NO_BACKSLASH_ESCAPES is refused on replicas too', async (t) => {
  const error = await configError(t, loadObject(t, withSqlMode('NO_BACKSLASH_ESCAPES', 'replica')));
  t.truthy(issueAt(t, error, 'clusters.default.replicas[1].sqlMode'));
});

for (const mode of ['', 'TRADITIONAL', 'STRICT_TRANS_TABLES,ANSI_QUOTES', 'NO_BACKSLASH_ESCAPE_X']) {
  test(`sqlMode ${JSON.stringify(mode)} is accepted`, async (t) => {
    const config = await loadObject(t, withSqlMode(mode));
    t.is(config.clusters.default?.primary.sqlMode, mode);
  });
}

for (const mode of ['STRICT_ALL_TABLES, ANSI_QUOTES', 'STRICT_ALL_TABLES,', "ANSI'; DROP TABLE t; --"]) {
  test(`malformed sqlMode ${JSON.stringify(mode)} is refused`, async (t) => {
    const error = await configError(t, loadObject(t, withSqlMode(mode)));
    t.regex(issueAt(t, error, 'clusters.default.primary.sqlMode').message, /comma-separated/);
  });
}

test('no profile default contains NO_BACKSLASH_ESCAPES', (t) => {
  for (const profile of PROFILES) t.false(PROFILE_DEFAULTS[profile].sqlMode.includes('NO_BACKSLASH_ESCAPES'));
});
