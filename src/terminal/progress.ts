/**
 * Progress for long work: a bar on stderr when it is a terminal, one plain
 * line per step otherwise (CI logs, pipes).
 */
import cliProgress from "cli-progress";

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private done = 0;

  constructor(
    private readonly total: number,
    private readonly label: string,
  ) {
    const tty = process.stderr.isTTY === true && !process.env.CI;
    this.bar = tty
      ? new cliProgress.SingleBar(
          { format: `${label} [{bar}] {value}/{total} {item}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(total, 0, { item: "" });
  }

  /** Marks one step done; `item` names it. */
  tick(item: string): void {
    this.done++;
    if (this.bar) this.bar.update(this.done, { item });
    else process.stderr.write(`${this.label} ${this.done}/${this.total} ${item}\n`);
  }

  /** Says what is happening without advancing. */
  note(item: string): void {
    if (this.bar) this.bar.update(this.done, { item });
    else process.stderr.write(`${this.label} ${item}\n`);
  }

  stop(): void {
    this.bar?.stop();
  }
}
