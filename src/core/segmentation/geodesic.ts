/**
 * Geodesic distance over the region graph (Dijkstra with a binary heap in
 * typed arrays). An edge costs the colour change it crosses plus a little
 * for the distance travelled, so a region reached from a tap without
 * crossing an edge in the photo is "near" it however far away it lies: the
 * prior of geodesic segmentation (Bai & Sapiro, IJCV 2009; Criminisi et al.,
 * GeoS, ECCV 2008).
 */
import type { RegionGraph } from "./regions.js";

/** Per directed edge of `g` (parallel to g.adj): the cost of stepping across it. */
export function geodesicCosts(g: RegionGraph, spatialWeight: number): Float64Array {
  const cost = new Float64Array(g.adj.length);
  for (let r = 0; r < g.count; r++) {
    for (let e = g.start[r]; e < g.start[r + 1]; e++) {
      const q = g.adj[e];
      const dl = g.lab[r * 3] - g.lab[q * 3];
      const da = g.lab[r * 3 + 1] - g.lab[q * 3 + 1];
      const db = g.lab[r * 3 + 2] - g.lab[q * 3 + 2];
      const dx = g.centroid[r * 2] - g.centroid[q * 2];
      const dy = g.centroid[r * 2 + 1] - g.centroid[q * 2 + 1];
      cost[e] = Math.sqrt(dl * dl + da * da + db * db) + 0.5 * Math.sqrt(g.contrast[e]) + spatialWeight * Math.sqrt(dx * dx + dy * dy);
    }
  }
  return cost;
}

/**
 * Distance from the nearest seed to every region, where `start[r]` is the
 * distance a seed region starts with (+Infinity: not a seed); +Infinity when
 * unreachable.
 */
export function geodesicDistance(g: RegionGraph, cost: Float64Array, start: Float64Array): Float64Array {
  const n = g.count;
  const dist = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const heapNode = new Int32Array(g.adj.length + n);
  const heapKey = new Float64Array(g.adj.length + n);
  let size = 0;
  const push = (node: number, key: number): void => {
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heapKey[parent] <= key) break;
      heapNode[i] = heapNode[parent];
      heapKey[i] = heapKey[parent];
      i = parent;
    }
    heapNode[i] = node;
    heapKey[i] = key;
  };
  const pop = (): number => {
    const top = heapNode[0];
    const lastNode = heapNode[--size];
    const lastKey = heapKey[size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heapKey[child + 1] < heapKey[child]) child++;
      if (heapKey[child] >= lastKey) break;
      heapNode[i] = heapNode[child];
      heapKey[i] = heapKey[child];
      i = child;
    }
    heapNode[i] = lastNode;
    heapKey[i] = lastKey;
    return top;
  };
  for (let r = 0; r < n; r++) {
    if (start[r] < Number.POSITIVE_INFINITY) {
      dist[r] = start[r];
      push(r, start[r]);
    }
  }
  const done = new Uint8Array(n);
  while (size > 0) {
    const key = heapKey[0];
    const u = pop();
    if (done[u] !== 0 || key > dist[u]) continue;
    done[u] = 1;
    for (let e = g.start[u]; e < g.start[u + 1]; e++) {
      const v = g.adj[e];
      const d = key + cost[e];
      if (d < dist[v]) {
        dist[v] = d;
        push(v, d);
      }
    }
  }
  return dist;
}
