/**
 * The outlines of what "Suggestions" found, over the photo: one toggle
 * button per suggestion, its box drawn around the thing with a label (kind
 * and score). A tap, a click, or Enter / Space on the focused outline puts
 * it into the selection or takes it out (aria-pressed says which). The
 * view places the buttons on every redraw (`placeOutlines`), so they follow
 * zoom and pan.
 */
import type { Ref } from "preact";
import type { FoundSuggestion } from "../suggest-engine.js";

export interface OutlinesProps {
  items: readonly FoundSuggestion[];
  pressed: readonly boolean[];
  onToggle(index: number): void;
  layer: Ref<HTMLFieldSetElement>;
}

export function SuggestionOutlines(props: OutlinesProps) {
  return (
    <fieldset class="outlines" ref={props.layer} aria-label="Suggestions: press one to select it for erasing">
      {props.items.map((s, i) => {
        const percent = Math.round(s.score * 100);
        const on = props.pressed[i] ?? false;
        return (
          <button
            key={i}
            type="button"
            class={`outline kind-${s.kind}${on ? " on" : ""}`}
            aria-pressed={on}
            aria-label={`Suggested ${s.label}, ${percent} % sure`}
            title={on ? `Selected ${s.label}: press to leave it` : `Press to select this ${s.label} for erasing`}
            data-testid="suggestion"
            data-kind={s.kind}
            data-x0={s.box.x0}
            data-y0={s.box.y0}
            data-x1={s.box.x1}
            data-y1={s.box.y1}
            onClick={() => props.onToggle(i)}
          >
            <span class="tag">
              {s.label} {percent} %
            </span>
          </button>
        );
      })}
    </fieldset>
  );
}

/** Places the outline buttons of `layer` for a view that shows photo pixel (x, y) at (tx + x·scale, ty + y·scale) CSS pixels. */
export function placeOutlines(layer: HTMLFieldSetElement | null, view: { scale: number; tx: number; ty: number }): void {
  if (!layer) return;
  for (const el of layer.children) {
    const b = (el as HTMLElement).dataset;
    const x0 = Number(b.x0);
    const y0 = Number(b.y0);
    const style = (el as HTMLElement).style;
    style.left = `${view.tx + x0 * view.scale}px`;
    style.top = `${view.ty + y0 * view.scale}px`;
    style.width = `${Math.max(6, (Number(b.x1) - x0) * view.scale)}px`;
    style.height = `${Math.max(6, (Number(b.y1) - y0) * view.scale)}px`;
    style.visibility = "visible";
  }
}
