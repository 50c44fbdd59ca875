/**
 * What a benchmark is to bench/run.ts (a name to select it by and a run), and what it adds to
 * bench/results.md: rows of the summary table, its own section, and the CPU other work took during
 * its measured runs.
 */
import { fmt, type CpuShare } from './lib.js';

export interface SummaryRow {
  name: string;
  result: string;
  runs: string;
  baseline: string;
  target: string;
  verdict: string;
}

export interface Benchmark {
  /** The name `BENCH_ONLY` selects it by. */
  name: string;
  run(report: Report): Promise<void>;
}

export class Report {
  readonly summary: SummaryRow[] = [];
  /** The results' sections, in Markdown lines. */
  readonly sections: string[] = [];
  /** Every measured run's CPU shares, to say whether other work was running on the machine. */
  readonly cpu: { label: string; cpu: CpuShare }[] = [];

  section(...lines: string[]): void {
    this.sections.push(...lines);
  }

  row(...rows: SummaryRow[]): void {
    this.summary.push(...rows);
  }

  noteCpu(label: string, shares: (CpuShare | undefined)[]): void {
    for (const cpu of shares) if (cpu) this.cpu.push({ label, cpu });
  }
}

export const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
export const ms = (x: number) => fmt(x, 2);
