import { csvField, csvRecord } from './output';
import { Progress } from './progress';

describe('RFC 4180 CSV', () => {
  it('quotes fields with commas, quotes, CR or LF and doubles the quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField('')).toBe('');
  });

  it('ends every record with CRLF', () => {
    expect(csvRecord(['1', '{"a":1,"b":"x"}'])).toBe('1,"{""a"":1,""b"":""x""}"\r\n');
  });
});

describe('Progress', () => {
  it('writes periodic lines (no carriage returns) when stderr is not a terminal', () => {
    let t = 0;
    const out: string[] = [];
    const p = new Progress(
      { write: (s) => out.push(s) },
      { mode: 'lines', total: 1024, now: () => t, lineIntervalMs: 10 },
    );
    for (let i = 1; i <= 1024; i++) {
      t = i;
      p.tick(String(i));
    }
    p.finish();
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
    expect(out[out.length - 1]).toMatch(/^replay: 1024\/1024 events 100\.0%, \d+ events\/s\n$/);
  });

  it('redraws a bar in place on a terminal and clears it at the end', () => {
    let t = 0;
    const out: string[] = [];
    const p = new Progress(
      { isTTY: true, write: (s) => out.push(s) },
      { mode: 'bar', total: 512, now: () => t },
    );
    for (let i = 1; i <= 512; i++) {
      t = i * 10;
      p.tick(String(i));
    }
    p.finish();
    const clear = '\r\u001b[2K';
    expect(out[0]?.startsWith(clear)).toBe(true);
    expect(out[0]?.slice(clear.length)).toMatch(/^\[#+\.*\] replay: 256\/512 events 50\.0%/);
    expect(out[out.length - 1]).toBe('\r\u001b[2K');
  });

  it('picks the mode from the sink', () => {
    expect(Progress.modeFor({ isTTY: true, write: () => 0 }, true, false)).toBe('bar');
    expect(Progress.modeFor({ write: () => 0 }, true, true)).toBe('lines');
    expect(Progress.modeFor({ write: () => 0 }, true, false)).toBe('off');
    expect(Progress.modeFor({ isTTY: true, write: () => 0 }, false, true)).toBe('off');
  });
});
