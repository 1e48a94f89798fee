/**
 * The page's side of the engine worker. Calls go through Comlink; a call
 * made `abortable` can be cancelled: the fill is one long synchronous run in
 * the worker, which no message can interrupt, so cancelling ends that
 * worker and starts a fresh one, into which the setup calls remembered so
 * far (reference photo, models) are replayed; `onRestart` then hands the
 * page the chance to send its photo again.
 */
import * as Comlink from "comlink";
import type { EngineApi } from "./engine.worker.js";

export type Engine = Comlink.Remote<EngineApi>;

export class EngineHost {
  private worker!: Worker;
  private remote!: Engine;
  /** Resolves when the current worker is ready (after a restart: once the setup calls are replayed). */
  private ready: Promise<Engine>;
  private readonly setup = new Map<string, (engine: Engine) => Promise<unknown>>();
  /** Called after a restart, with the new worker, before any other call reaches it. */
  onRestart: (engine: Engine) => Promise<void> = async () => {};

  constructor(private readonly onFailure: (message: string) => void) {
    // The worker starts in a task of its own, after the page's first render, instead of inside the
    // render (the page's longest task while it loads).
    this.ready = new Promise((resolve) => setTimeout(() => resolve(this.start()), 0));
    // `?fieldWorkers=N` in the address: the fill's PatchMatch scans on N field workers (0: the engine worker alone), for tests and benchmarks.
    const asked = new URLSearchParams(location.search).get("fieldWorkers");
    if (asked !== null && /^[0-7]$/.test(asked)) {
      const use = (engine: Engine) => engine.useFieldWorkers(Number(asked));
      this.remember("field-workers", use);
      void this.ready.then(use);
    }
  }

  /** The engine, once it is ready. */
  engine(): Promise<Engine> {
    return this.ready;
  }

  /**
   * Remembers a setup call under `key` (replacing an earlier one; `null`
   * forgets it), to replay after a restart. The call itself is not made.
   */
  remember(key: string, call: ((engine: Engine) => Promise<unknown>) | null): void {
    if (call) this.setup.set(key, call);
    else this.setup.delete(key);
  }

  /** Runs `call`; when `signal` aborts first, rejects with an AbortError and restarts the engine. */
  async abortable<T>(signal: AbortSignal, call: (engine: Engine) => Promise<T>): Promise<T> {
    const engine = await this.ready;
    if (signal.aborted) throw abortError();
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        reject(abortError());
        this.restart();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      call(engine).then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (err) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      );
    });
  }

  private start(): Engine {
    this.worker = new Worker(new URL("./engine.worker.ts", import.meta.url), { type: "module" });
    this.worker.addEventListener("error", (e) =>
      this.onFailure(`The engine stopped (${e.message || "worker error"}). Reload the page to go on.`),
    );
    this.remote = Comlink.wrap<EngineApi>(this.worker);
    return this.remote;
  }

  private restart(): void {
    this.remote[Comlink.releaseProxy]();
    this.worker.terminate();
    const engine = this.start();
    const calls = [...this.setup.values()];
    this.ready = (async () => {
      for (const call of calls) await call(engine).catch(() => undefined);
      await this.onRestart(engine).catch((err: Error) => this.onFailure(err.message));
      return engine;
    })();
  }
}

function abortError(): Error {
  return new DOMException("Cancelled", "AbortError");
}

export function isAbort(err: unknown): boolean {
  return (err as Error)?.name === "AbortError";
}
