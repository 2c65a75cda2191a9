import { commaList, parseOptions, positiveInt, type OptionSpec } from './args';
import { UsageError } from './errors';

const specs: OptionSpec[] = [
  { name: 'to', type: 'string', description: '' },
  { name: 'org', type: 'string', description: '', required: true },
  { name: 'json', type: 'boolean', description: '' },
  { name: 'help', type: 'boolean', description: '' },
];

const parse = (...argv: string[]) => parseOptions(argv, specs, 'USAGE');

describe('parseOptions', () => {
  it('reads --name value, --name=value and boolean flags', () => {
    const p = parse('--org', 'acme', '--to=12', '--json');
    expect(Object.fromEntries(p.strings)).toEqual({ org: 'acme', to: '12' });
    expect([...p.flags]).toEqual(['json']);
  });

  it.each([
    [['--org', 'a', '--bogus'], 'unknown option --bogus'],
    [['--org', 'a', '--org', 'b'], 'option --org given twice'],
    [['--org', 'a', '--to'], 'option --to needs a value'],
    [['--org', 'a', '--to', '--json'], 'option --to needs a value'],
    [['--org', 'a', '--to='], 'option --to needs a value'],
    [['--org', 'a', '--json=yes'], 'option --json takes no value'],
    [['--org', 'a', 'stray'], 'unexpected argument "stray"'],
    [['--to', '3'], 'missing required option --org'],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parse(...argv)).toThrow(new UsageError(message));
    try {
      parse(...argv);
    } catch (error) {
      expect((error as UsageError).usage).toBe('USAGE');
    }
  });

  it('lets --help through without the required options', () => {
    expect(parse('--help').flags.has('help')).toBe(true);
    expect(parse('-h').flags.has('help')).toBe(true);
  });
});

describe('value helpers', () => {
  it('commaList trims, drops empties and duplicates', () => {
    expect(commaList(' run:delete, ,run:stop,run:delete')).toEqual(['run:delete', 'run:stop']);
    expect(commaList(undefined)).toEqual([]);
  });

  it('positiveInt rejects zero, negatives and garbage', () => {
    expect(positiveInt('n', undefined, 20, 'h')).toBe(20);
    expect(positiveInt('n', '5', 20, 'h')).toBe(5);
    for (const bad of ['0', '-1', '1.5', 'x'])
      expect(() => positiveInt('n', bad, 20, 'h')).toThrow(UsageError);
  });
});
