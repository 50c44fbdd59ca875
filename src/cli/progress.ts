/**
 * Progress of a long command on stderr (stdout stays the command's result): on a terminal a bar
 * redrawn in place with done / total, the rate and the time left; otherwise (a log, a pipe) one line
 * each time another tenth is done, so logs stay short.
 */
export interface Progress {
  update(done: number, total: number): void;
  /** Draws the final state and ends the bar's line. */
  finish(): void;
}

const number = (n: number) => Math.round(n).toLocaleString('en-GB');

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${String(Math.round(seconds - m * 60)).padStart(2, '0')} s`;
}

export function progress(
  label: string,
  unit: string,
  stream: NodeJS.WriteStream = process.stderr,
  clock: () => number = () => performance.now(),
): Progress {
  const tty = Boolean(stream.isTTY);
  const started = clock();
  let lastDraw = -Infinity;
  let lastTenth = -1;
  let state = { done: 0, total: 0 };
  let drawn = false;
  let drawnDone = -1;

  const describe = () => {
    const seconds = (clock() - started) / 1000;
    const rate = seconds > 0 ? state.done / seconds : 0;
    const left = rate > 0 ? (state.total - state.done) / rate : Infinity;
    return { rate, left, seconds };
  };

  const draw = () => {
    const { rate, left } = describe();
    const share = state.total ? state.done / state.total : 1;
    const width = 24;
    const filled = Math.round(share * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%`;
    const eta = state.done >= state.total ? '0 s' : duration(left);
    const line = `${label} ${bar} ${number(state.done)} / ${number(state.total)} ${unit}, ${number(rate)} ${unit}/s, ETA ${eta}`;
    const columns = stream.columns || 120;
    stream.write(`\r${line.slice(0, columns - 1)}\u001b[K`);
    drawn = true;
    drawnDone = state.done;
  };

  return {
    update(done, total) {
      state = { done, total };
      if (tty) {
        const now = clock();
        if (now - lastDraw >= 100 || (done >= total && done !== drawnDone)) {
          lastDraw = now;
          draw();
        }
        return;
      }
      const tenth = total ? Math.floor((done / total) * 10) : 10;
      if (tenth > lastTenth && tenth > 0) {
        lastTenth = tenth;
        const { rate, left } = describe();
        stream.write(
          `${label}: ${tenth * 10}% (${number(done)} / ${number(total)} ${unit}, ${number(rate)} ${unit}/s` +
            `${done < total ? `, ETA ${duration(left)}` : ''})\n`,
        );
      }
    },
    finish() {
      if (tty) {
        if (state.done !== drawnDone) draw();
        if (drawn) stream.write('\n');
      } else if (lastTenth < 10) {
        lastTenth = 9;
        this.update(state.total, state.total);
      }
    },
  };
}
