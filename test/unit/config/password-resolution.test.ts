import { join } from 'node:path';
import test from 'ava';
import { configError, issueAt, load, loadObject, tempDir, writeFiles } from './helpers.js';

const withPrimary = (primary: object) => ({
  clusters: { default: { primary: { host: 'h', user: 'u', ...primary } } },
});

test('an inline password is kept as a secret', async (t) => {
  const config = await loadObject(t, withPrimary({ password: 'inline pw ' }));
  t.is(config.clusters.default?.primary.password.reveal(), 'inline pw ');
});

test('no password at all is the empty secret', async (t) => {
  const config = await loadObject(t, withPrimary({}));
  t.true(config.clusters.default?.primary.password.isEmpty);
  t.is(config.clusters.default?.primary.password.reveal(), '');
});

const fileContents = [
  ['pw\n', 'pw'],
  ['pw\r\n', 'pw'],
  ['pw', 'pw'],
  ['pw\n\n', 'pw\n'],
  [' pw \n', ' pw '],
] as const;

for (const [content, expected] of fileContents) {
  test(`passwordFile holding ${JSON.stringify(content)} gives ${JSON.stringify(expected)}`, async (t) => {
    const config = await loadObject(t, withPrimary({ passwordFile: 'pw.txt' }), {
      files: { 'pw.txt': content },
    });
    t.is(config.clusters.default?.primary.password.reveal(), expected);
  });
}

test('passwordFile is resolved against the config file directory and shown resolved', async (t) => {
  const dir = await writeFiles(await tempDir(t), {
    'conf/g.yaml': 'clusters:\n  c:\n    primary: {host: h, user: u, passwordFile: ../secret/pw}\n',
    'secret/pw': 'from-file\n',
  });
  const config = await load({ argv: ['--config', 'conf/g.yaml'], cwd: dir });
  t.is(config.clusters.c?.primary.passwordFile, join(dir, 'secret/pw'));
  t.is(config.clusters.c?.primary.password.reveal(), 'from-file');
});

test('a missing passwordFile is an error naming the key and the path', async (t) => {
  const error = await configError(t, loadObject(t, withPrimary({ passwordFile: '/nonexistent/pw' })));
  const issue = issueAt(t, error, 'clusters.default.primary.passwordFile');
  t.is(issue.message, 'cannot read /nonexistent/pw (ENOENT)');
});

test('a passwordFile that is a directory is an error', async (t) => {
  const error = await configError(t, loadObject(t, withPrimary({ passwordFile: '.' })));
  t.regex(issueAt(t, error, 'clusters.default.primary.passwordFile').message, /EISDIR/);
});

test('passwordEnv reads the environment given to the loader', async (t) => {
  const config = await loadObject(t, withPrimary({ passwordEnv: 'DB_PW' }), { env: { DB_PW: 'from-env' } });
  t.is(config.clusters.default?.primary.password.reveal(), 'from-env');
  t.is(config.clusters.default?.primary.passwordEnv, 'DB_PW');
});

test('passwordEnv naming an unset variable is an error naming it', async (t) => {
  const error = await configError(t, loadObject(t, withPrimary({ passwordEnv: 'DB_PW' })));
  t.is(
    issueAt(t, error, 'clusters.default.primary.passwordEnv').message,
    'environment variable DB_PW is not set',
  );
});

test('passwordEnv naming a variable set to the empty string gives the empty password', async (t) => {
  const config = await loadObject(t, withPrimary({ passwordEnv: 'DB_PW' }), { env: { DB_PW: '' } });
  t.true(config.clusters.default?.primary.password.isEmpty);
});

const tooMany = [
  [{ password: 'a', passwordFile: 'f' }, 'password and passwordFile'],
  [{ password: 'a', passwordEnv: 'E' }, 'password and passwordEnv'],
  [{ passwordFile: 'f', passwordEnv: 'E' }, 'passwordFile and passwordEnv'],
  [{ password: 'a', passwordFile: 'f', passwordEnv: 'E' }, 'password and passwordFile and passwordEnv'],
] as const;

for (const [sources, found] of tooMany) {
  test(`at most one password source: ${found} is refused`, async (t) => {
    const error = await configError(t, loadObject(t, withPrimary(sources)));
    t.is(
      issueAt(t, error, 'clusters.default.primary').message,
      `set at most one of password, passwordFile and passwordEnv (found ${found})`,
    );
  });
}

test('the at-most-one rule applies to replicas too', async (t) => {
  const config = withPrimary({});
  const error = await configError(
    t,
    loadObject(t, {
      clusters: {
        default: {
          ...config.clusters.default,
          replicas: [{ host: 'r', user: 'u', password: 'a', passwordEnv: 'E' }],
        },
      },
    }),
  );
  t.truthy(issueAt(t, error, 'clusters.default.replicas[0]'));
});

test('empty strings do not count as a password source', async (t) => {
  const config = await loadObject(t, withPrimary({ password: '', passwordFile: '', passwordEnv: 'DB_PW' }), {
    env: { DB_PW: 'x' },
  });
  t.is(config.clusters.default?.primary.password.reveal(), 'x');
});
