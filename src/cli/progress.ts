/*
 * Replay progress on stderr: a redrawn bar when stderr is a terminal, otherwise a plain line every few
 * seconds (CI logs and pipes get no carriage returns). Never on stdout, which carries the answer.
 */

/** Where progress goes: stderr in the CLI, a buffer in tests. */
export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** `bar`: redrawn in place; `lines`: a line every `lineIntervalMs`; `off`: nothing. */
export type ProgressMode = 'bar' | 'lines' | 'off';

export interface ProgressOptions {
  mode: ProgressMode;
  /** Total events when the store can tell (dense sequence positions), else null. */
  total: number | null;
  /** Fraction done for a position, when the store's positions allow an estimate (EventStoreDB). */
  fraction?: (position: string) => number | null;
  label?: string;
  /** What is counted (default `events`). */
  unit?: string;
  lineIntervalMs?: number;
  now?: () => number;
}

/** Tracks events done and draws them; cheap enough to call once per event. */
export class Progress {
  private done = 0;
  private lastPosition: string | null = null;
  private readonly started: number;
  private lastDraw = 0;
  private drawn = false;
  private readonly now: () => number;

  constructor(
    private readonly sink: ProgressSink,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
    this.lastDraw = this.started;
  }

  /** Picks `bar` for a terminal, `lines` otherwise, unless progress is switched off. */
  static modeFor(sink: ProgressSink, enabled: boolean, linesWhenNotTTY: boolean): ProgressMode {
    if (!enabled) return 'off';
    if (sink.isTTY) return 'bar';
    return linesWhenNotTTY ? 'lines' : 'off';
  }

  tick(position: string): void {
    this.done += 1;
    this.lastPosition = position;
    if (this.options.mode === 'off' || (this.done & 255) !== 0) return;
    const t = this.now();
    const interval = this.options.mode === 'bar' ? 100 : (this.options.lineIntervalMs ?? 2000);
    if (t - this.lastDraw < interval) return;
    this.lastDraw = t;
    this.draw(t);
  }

  /** Clears the bar (the summary is printed by the command). */
  finish(): void {
    if (this.options.mode === 'bar' && this.drawn) this.sink.write('\r\u001b[2K');
  }

  get events(): number {
    return this.done;
  }

  get seconds(): number {
    return (this.now() - this.started) / 1000;
  }

  private draw(t: number): void {
    const seconds = (t - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(this.done / seconds) : 0;
    const fraction = this.fraction();
    const count = this.options.total !== null ? `${this.done}/${this.options.total}` : `${this.done}`;
    const pct = fraction === null ? '' : ` ${(fraction * 100).toFixed(1)}%`;
    const label = this.options.label ?? 'replay';
    const unit = this.options.unit ?? 'events';
    const text = `${label}: ${count} ${unit}${pct}, ${rate} ${unit}/s`;
    if (this.options.mode === 'lines') {
      this.sink.write(`${text}\n`);
      return;
    }
    const barWidth = 30;
    const filled = fraction === null ? 0 : Math.min(barWidth, Math.round(fraction * barWidth));
    const bar = fraction === null ? '' : `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] `;
    // One line, never wrapped (a wrapped line cannot be redrawn with \r); unknown width (0) → 200.
    const columns = (this.sink.columns || 200) - 1;
    this.sink.write(`\r\u001b[2K${`${bar}${text}`.slice(0, columns)}`);
    this.drawn = true;
  }

  private fraction(): number | null {
    if (this.options.total !== null && this.options.total > 0)
      return Math.min(1, this.done / this.options.total);
    if (this.lastPosition !== null && this.options.fraction) return this.options.fraction(this.lastPosition);
    return null;
  }
}
