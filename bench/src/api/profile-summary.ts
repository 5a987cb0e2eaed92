/**
 * Summarises a V8 .cpuprofile (from BENCH_CPU_PROF=1 / node --cpu-prof): self time by function and by package.
 *
 *   pnpm --filter @tunelab/bench exec tsx src/api/profile-summary.ts <file.cpuprofile> [--top 25]
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const file = process.argv[2];
if (!file) throw new Error("usage: profile-summary <file.cpuprofile> [--top N]");
const top = Number(process.argv[process.argv.indexOf("--top") + 1] ?? 25) || 25;
const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
const pkgOf = (url: string) => {
  if (!url) return "(native/V8)";
  const m = /node_modules\/\.pnpm\/([^/]+)\/node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[2]!;
  const w = /\/work\/main\/((apps|packages|bench)\/[^/]+)/.exec(url);
  if (w) return w[1]!;
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
  return url.split("/").slice(-2).join("/");
};
for (const n of prof.nodes) {
  const t = self.get(n.id) ?? 0;
  if (!t) continue;
  const name = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "").replace("file:///work/main/", "")}:${n.callFrame.lineNumber + 1}`;
  byFn.set(name, (byFn.get(name) ?? 0) + t);
  const pkg = pkgOf(n.callFrame.url);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t);
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
};
show("self time by package", byPkg);
show("self time by function", byFn);
