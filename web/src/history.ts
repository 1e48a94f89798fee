/**
 * Undo/redo over immutable snapshots: `push` records a new state and drops
 * the redo branch; the oldest states go once `limit` is reached.
 */
export class History<T> {
  private states: T[] = [];
  private index = -1;

  constructor(private readonly limit = 30) {}

  reset(state: T): void {
    this.states = [state];
    this.index = 0;
  }

  push(state: T): void {
    this.states = this.states.slice(0, this.index + 1);
    this.states.push(state);
    if (this.states.length > this.limit) this.states.shift();
    this.index = this.states.length - 1;
  }

  /** Replaces states in place (undo and redo keep their places): `change` returns the new state, or the same one. */
  replaceAll(change: (state: T) => T): void {
    this.states = this.states.map(change);
  }

  get current(): T | undefined {
    return this.states[this.index];
  }

  /** The oldest state still kept (undo goes no further). */
  get oldest(): T | undefined {
    return this.states[0];
  }

  get canUndo(): boolean {
    return this.index > 0;
  }

  get canRedo(): boolean {
    return this.index < this.states.length - 1;
  }

  undo(): T | undefined {
    if (this.canUndo) this.index--;
    return this.current;
  }

  redo(): T | undefined {
    if (this.canRedo) this.index++;
    return this.current;
  }
}
