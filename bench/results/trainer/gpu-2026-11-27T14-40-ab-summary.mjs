// node ab-summary.mjs FILE TAG: one line per pass from the gpu benchmark's JSON.
import { readFileSync } from "node:fs";
const [file, tag] = process.argv.slice(2);
const r = JSON.parse(readFileSync(file, "utf8"));
const f = (n) => (n == null ? "-" : Math.round(n).toLocaleString("en-US"));
const d = (row) => (row?.breakdown ? `${row.breakdown.dispatchMs.toFixed(1)}/${row.breakdown.waitMs.toFixed(1)}` : "-");
const e = (n) => (typeof n === "number" ? n.toExponential(2) : "-");
const find = (re) => r.rows.find((x) => re.test(x.label));
const stock = find(/stock kernels/), fast = find(/matmul filter gradient \(chunk/), tob = find(/^WEBGPU.*trainOnBatch/);
const torch = r.rows.filter((x) => /^PyTorch/.test(x.label));
const med = (row) => { const s = [...(row?.stepMs ?? [])].sort((a, b) => a - b); return s.length ? s[s.length >> 1].toFixed(1) : "-"; };
console.log(`SUMMARY ${tag}: stock ${f(stock?.samplesPerSec)} (disp/wait ${d(stock)} ms, med step ${med(stock)}) | fast ${f(fast?.samplesPerSec)} (disp/wait ${d(fast)}, med step ${med(fast)}, pipelined ${f(fast?.breakdown?.pipelinedSamplesPerSec)}) | trainOnBatch ${f(tob?.samplesPerSec)} (disp/wait ${d(tob)}, med ${med(tob)}) | torch ${torch.map((x) => f(x.samplesPerSec)).join(" / ") || r.torch} | gradErr ${e(r.filterGradCheck?.worst)} (${r.filterGradCheck?.cases} cases) | parity ${e(r.parity?.maxRelDiff)}`);
