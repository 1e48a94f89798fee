/**
 * A log-log scatter plot of fill time against hole pixels, one colour per
 * method, with a least-squares line per method in log space (its slope is the
 * exponent of the cost: 1 = proportional to the hole). Drawn as SVG and
 * rasterised by sharp, so no plotting library is needed.
 */
import { sharp } from "../node/sharp.js";

export interface PlotSeries {
  label: string;
  colour: string;
  points: { x: number; y: number }[];
}

const WIDTH = 900;
const HEIGHT = 600;
const MARGIN = { left: 80, right: 30, top: 40, bottom: 60 };

/** Least-squares fit of log10 y = a + b·log10 x; null with fewer than two distinct x. */
export function logLogFit(points: { x: number; y: number }[]): { a: number; b: number } | null {
  const pts = points.filter((p) => p.x > 0 && p.y > 0);
  if (pts.length < 2) return null;
  const lx = pts.map((p) => Math.log10(p.x));
  const ly = pts.map((p) => Math.log10(p.y));
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < lx.length; i++) {
    sxx += (lx[i] - mx) ** 2;
    sxy += (lx[i] - mx) * (ly[i] - my);
  }
  if (sxx === 0) return null;
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The plot as an SVG document. */
export function logLogSvg(title: string, xLabel: string, yLabel: string, series: PlotSeries[]): string {
  const all = series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0);
  const lxs = all.map((p) => Math.log10(p.x));
  const lys = all.map((p) => Math.log10(p.y));
  const x0 = Math.floor(Math.min(...lxs, 4));
  const x1 = Math.ceil(Math.max(...lxs, 5));
  const y0 = Math.floor(Math.min(...lys, 1));
  const y1 = Math.ceil(Math.max(...lys, 2));
  const pw = WIDTH - MARGIN.left - MARGIN.right;
  const ph = HEIGHT - MARGIN.top - MARGIN.bottom;
  const X = (lx: number) => MARGIN.left + ((lx - x0) / (x1 - x0)) * pw;
  const Y = (ly: number) => MARGIN.top + ph - ((ly - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  for (let d = x0; d <= x1; d++) {
    for (const m of d < x1 ? [1, 2, 5] : [1]) {
      const lx = d + Math.log10(m);
      parts.push(`<line x1="${X(lx)}" y1="${MARGIN.top}" x2="${X(lx)}" y2="${MARGIN.top + ph}" stroke="${m === 1 ? "#bbb" : "#e4e4e4"}"/>`);
      parts.push(
        `<text x="${X(lx)}" y="${MARGIN.top + ph + 18}" font-size="12" text-anchor="middle" font-family="sans-serif">${escapeXml(tick(10 ** lx))}</text>`,
      );
    }
  }
  for (let d = y0; d <= y1; d++) {
    for (const m of d < y1 ? [1, 2, 5] : [1]) {
      const ly = d + Math.log10(m);
      parts.push(
        `<line x1="${MARGIN.left}" y1="${Y(ly)}" x2="${MARGIN.left + pw}" y2="${Y(ly)}" stroke="${m === 1 ? "#bbb" : "#e4e4e4"}"/>`,
      );
      parts.push(
        `<text x="${MARGIN.left - 8}" y="${Y(ly) + 4}" font-size="12" text-anchor="end" font-family="sans-serif">${escapeXml(tick(10 ** ly))}</text>`,
      );
    }
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  series.forEach((s, i) => {
    for (const p of s.points) {
      if (!(p.x > 0 && p.y > 0)) continue;
      parts.push(`<circle cx="${X(Math.log10(p.x))}" cy="${Y(Math.log10(p.y))}" r="4" fill="${s.colour}" fill-opacity="0.75"/>`);
    }
    const fit = logLogFit(s.points);
    let label = s.label;
    if (fit) {
      const xa = Math.min(...s.points.map((p) => Math.log10(p.x)));
      const xb = Math.max(...s.points.map((p) => Math.log10(p.x)));
      parts.push(
        `<line x1="${X(xa)}" y1="${Y(fit.a + fit.b * xa)}" x2="${X(xb)}" y2="${Y(fit.a + fit.b * xb)}" stroke="${s.colour}" stroke-width="2"/>`,
      );
      label += ` (slope ${fit.b.toFixed(2)})`;
    }
    const ly = MARGIN.top + 18 + i * 20;
    parts.push(`<circle cx="${MARGIN.left + 16}" cy="${ly - 4}" r="5" fill="${s.colour}"/>`);
    parts.push(`<text x="${MARGIN.left + 28}" y="${ly}" font-size="14" font-family="sans-serif">${escapeXml(label)}</text>`);
  });
  parts.push(
    `<text x="${WIDTH / 2}" y="24" font-size="16" text-anchor="middle" font-family="sans-serif">${escapeXml(title)}</text>`,
    `<text x="${MARGIN.left + pw / 2}" y="${HEIGHT - 16}" font-size="14" text-anchor="middle" font-family="sans-serif">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(20 ${MARGIN.top + ph / 2}) rotate(-90)" font-size="14" text-anchor="middle" font-family="sans-serif">${escapeXml(yLabel)}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">${parts.join("")}</svg>`;
}

function tick(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(2)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(2)}k`;
  return `${+v.toPrecision(2)}`;
}

/** Writes the plot as a PNG file. */
export async function writeLogLogPng(file: string, title: string, xLabel: string, yLabel: string, series: PlotSeries[]): Promise<void> {
  await sharp(Buffer.from(logLogSvg(title, xLabel, yLabel, series)))
    .png()
    .toFile(file);
}
