/**
 * A toolbar button for an action of the table (actions.ts): its label,
 * its key in the tooltip, disabled when it cannot run, pressed for toggles.
 */
import type { ComponentChildren } from "preact";
import type { Action } from "../actions.js";

export function ActionButton(props: { action: Action; class?: string; testId?: string; title?: string; children?: ComponentChildren }) {
  const a = props.action;
  const title = [props.title ?? a.label, a.keyName ? `(${a.keyName})` : ""].filter(Boolean).join(" ");
  return (
    <button
      type="button"
      class={[props.class ?? "", a.pressed ? "on" : ""].filter(Boolean).join(" ") || undefined}
      aria-pressed={a.pressed === undefined ? undefined : a.pressed}
      aria-keyshortcuts={a.keyName?.replace("Ctrl", "Control")}
      disabled={!a.enabled}
      onClick={() => a.run()}
      title={title}
      data-testid={props.testId}
    >
      {props.children ?? a.label}
    </button>
  );
}

/**
 * A button that acts while held: with a mouse, a finger (no long-press menu,
 * no scrolling away) or the keyboard (Space or Enter held on it).
 */
export function HoldButton(props: { action: Action; testId?: string; children: ComponentChildren }) {
  const a = props.action;
  const release = () => a.release?.();
  return (
    <button
      type="button"
      class={`hold${a.pressed ? " on" : ""}`}
      aria-pressed={a.pressed}
      disabled={!a.enabled}
      title={`${a.label}${a.keyName ? ` (hold ${a.keyName})` : ""}`}
      data-testid={props.testId}
      onPointerDown={(e) => {
        (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
        a.run();
      }}
      onPointerUp={release}
      onPointerCancel={release}
      onLostPointerCapture={release}
      onContextMenu={(e) => e.preventDefault()}
      onKeyDown={(e) => {
        if (e.key !== " " && e.key !== "Enter") return;
        e.preventDefault();
        if (!e.repeat) a.run();
      }}
      onKeyUp={(e) => {
        if (e.key !== " " && e.key !== "Enter") return;
        e.preventDefault();
        release();
      }}
      onBlur={release}
    >
      {props.children}
    </button>
  );
}
