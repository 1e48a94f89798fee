/**
 * Every command of the app in one table: its label, its key test, whether
 * it can run now, and what it does. The toolbar, the keyboard and the menus
 * all run commands from this table, so each runs once per key press or
 * click: the key handler runs at most one action per keydown, never on
 * keyup, and leaves Enter and Space to a focused button or field (which
 * then does its own job, once).
 */
import { useEffect, useRef } from "preact/hooks";

export interface Action {
  readonly id: string;
  readonly label: string;
  /** How the key is written in tooltips ("Ctrl+Z"). */
  readonly keyName?: string;
  /** True for the keydown that runs this action. */
  readonly key?: (e: KeyboardEvent) => boolean;
  /** Whether it can run now (buttons are disabled otherwise). */
  readonly enabled: boolean;
  /** For toggles: whether it is on. */
  readonly pressed?: boolean;
  run(): void;
  /** For hold-to actions (compare): called on the key's keyup. */
  release?(): void;
}

const mod = (e: KeyboardEvent) => e.ctrlKey || e.metaKey;
/** A plain key, with no Ctrl, Cmd or Alt. */
export const plain = (name: string) => (e: KeyboardEvent) => !mod(e) && !e.altKey && e.key.toLowerCase() === name;
export const withMod = (name: string, shift: boolean) => (e: KeyboardEvent) =>
  mod(e) && !e.altKey && e.shiftKey === shift && e.key.toLowerCase() === name;

/** Where keys belong to the element: text fields, sliders, file inputs, dialogs' own controls. */
function typingInto(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target instanceof HTMLElement && target.isContentEditable)
  );
}

/** What a focused button or link does with the key itself. */
function activatesFocused(e: KeyboardEvent): boolean {
  return (
    (e.key === "Enter" || e.key === " ") &&
    (e.target instanceof HTMLButtonElement ||
      e.target instanceof HTMLAnchorElement ||
      (e.target instanceof HTMLElement && e.target.tagName === "SUMMARY"))
  );
}

/**
 * Finds the action a keydown runs: the first whose key test matches. Keys
 * typed into a field, Enter or Space on a focused button, keys an element
 * already handled (defaultPrevented) and key repeats of hold-to actions run
 * nothing.
 */
export function actionForKey(actions: readonly Action[], e: KeyboardEvent): Action | null {
  if (e.defaultPrevented || typingInto(e.target) || activatesFocused(e)) return null;
  if (e.target instanceof HTMLElement && e.target.closest("dialog")) return null;
  // The first enabled action for the key (Esc cancels an erase, or else clears); a disabled one still keeps the key from the browser.
  const matching = actions.filter((a) => a.key?.(e));
  const action = matching.find((a) => a.enabled) ?? matching[0] ?? null;
  if (action?.release && e.repeat) return null;
  return action;
}

/** Runs the table's actions from the keyboard while the component is mounted. */
export function useKeys(actions: readonly Action[]): void {
  const current = useRef(actions);
  current.current = actions;
  useEffect(() => {
    const held = new Map<string, Action>();
    const down = (e: KeyboardEvent) => {
      const action = actionForKey(current.current, e);
      if (!action) return;
      e.preventDefault();
      if (e.repeat && action.release) return;
      if (action.enabled) action.run();
      if (action.release) held.set(e.key.toLowerCase(), action);
    };
    const up = (e: KeyboardEvent) => {
      const action = held.get(e.key.toLowerCase());
      if (!action) return;
      held.delete(e.key.toLowerCase());
      action.release?.();
    };
    const blur = () => {
      for (const a of held.values()) a.release?.();
      held.clear();
    };
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
    window.addEventListener("blur", blur);
    return () => {
      window.removeEventListener("keydown", down);
      window.removeEventListener("keyup", up);
      window.removeEventListener("blur", blur);
    };
  }, []);
}
