/** The snapshot settings of the environment (README "Configuration"). */
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from './config';

const base = { HOST: '127.0.0.1', DATA_DIR: '/tmp/perm-config-spec' };

describe('snapshot settings', () => {
  it('default to a snapshot every 50,000 events, 10 kept, under DATA_DIR/snapshots', () => {
    const c = loadConfig(base);
    expect([c.snapshotEvery, c.snapshotKeep, c.snapshotDir]).toEqual([
      50_000,
      10,
      resolve(join(base.DATA_DIR, 'snapshots')),
    ]);
  });

  it('take SNAPSHOT_EVERY (0 turns snapshots off), SNAPSHOT_KEEP and SNAPSHOT_DIR', () => {
    const c = loadConfig({ ...base, SNAPSHOT_EVERY: '0', SNAPSHOT_KEEP: '3', SNAPSHOT_DIR: '/var/snaps' });
    expect([c.snapshotEvery, c.snapshotKeep, c.snapshotDir]).toEqual([0, 3, '/var/snaps']);
  });

  it.each([
    ['SNAPSHOT_EVERY', '-1'],
    ['SNAPSHOT_EVERY', 'often'],
    ['SNAPSHOT_EVERY', '1e5'],
    ['SNAPSHOT_KEEP', '0'],
    ['SNAPSHOT_KEEP', '1001'],
  ])('refuse %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(name);
  });
});

describe('SQLITE_INTEGRITY_CHECK', () => {
  it('defaults to background and takes startup (any case)', () => {
    expect(loadConfig(base).sqliteIntegrityCheck).toBe('background');
    expect(loadConfig({ ...base, SQLITE_INTEGRITY_CHECK: 'Startup' }).sqliteIntegrityCheck).toBe('startup');
  });

  it('refuses anything else with a message naming the variable', () => {
    expect(() => loadConfig({ ...base, SQLITE_INTEGRITY_CHECK: 'off' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, SQLITE_INTEGRITY_CHECK: 'off' })).toThrow('SQLITE_INTEGRITY_CHECK');
  });
});
