"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import type { CompareRunsQuery as CompareResult } from "@/gql/graphql";
import { useQuery } from "@/lib/api-context";
import { CompareRunsQuery } from "@/lib/documents";
import { fmtInt, fmtNum, fmtPct } from "@/lib/format";
import { MetricChart, PALETTE, pointsFromColumns } from "@/components/metric-chart";
import { Empty, ErrorBox, Loading, StatusBadge } from "@/components/states";

type CRun = CompareResult["compareRuns"]["runs"][number];

const MAX_POINTS = 500;
const METRIC_ORDER = ["loss", "val_loss", "acc", "val_acc"];

/** Config rows shown for every comparison; the API's differences may add more keys. */
const CONFIG_ROWS: { key: string; label: string; get: (r: CRun) => unknown }[] = [
  { key: "dataset", label: "Dataset", get: (r) => `${r.dataset.name} v${r.dataset.version}` },
  { key: "baseModel", label: "Base model", get: (r) => (r.baseModel ? `${r.baseModel.name} v${r.baseModel.version}` : "from scratch") },
  { key: "frozenLayers", label: "Frozen layers", get: (r) => r.frozenLayers },
  { key: "learningRate", label: "Learning rate", get: (r) => r.config.learningRate },
  { key: "epochs", label: "Epochs", get: (r) => r.config.epochs },
  { key: "batchSize", label: "Batch size", get: (r) => r.config.batchSize },
  { key: "optimizer", label: "Optimizer", get: (r) => r.config.optimizer },
  { key: "validationSplit", label: "Validation split", get: (r) => r.config.validationSplit },
  { key: "seed", label: "Seed", get: (r) => r.config.seed },
  { key: "earlyStoppingPatience", label: "Early stopping patience", get: (r) => r.config.earlyStoppingPatience },
];

function fmtValue(v: unknown): string {
  if (v == null) return "—";
  if (Array.isArray(v)) return v.length === 0 ? "none" : v.length > 4 ? `${v.length}: ${v.slice(0, 4).join(", ")}, …` : v.map(fmtValue).join(", ");
  if (typeof v === "number") return fmtNum(v);
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    if ("name" in o) return `${o.name}${o.version != null ? ` v${o.version}` : ""}`;
    return JSON.stringify(v);
  }
  return String(v);
}

export function CompareView() {
  const params = useSearchParams();
  const ids = useMemo(() => (params.get("ids") ?? "").split(",").map((s) => s.trim()).filter(Boolean), [params]);
  const q = useQuery(CompareRunsQuery, { ids, maxPoints: MAX_POINTS }, { skip: ids.length < 2 });
  const [onlyDiff, setOnlyDiff] = useState(false);

  if (ids.length < 2)
    return (
      <div className="page">
        <h1>Compare runs</h1>
        <Empty title="Pick at least two runs to compare">
          Select 2–10 runs in the <Link href="/runs">runs table</Link> and press Compare.
        </Empty>
      </div>
    );
  if (q.error) return <ErrorBox error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return <Loading label="Loading comparison…" />;

  const { runs, differences } = q.data.compareRuns;
  const color = (i: number) => PALETTE[i % PALETTE.length]!;
  const diffKeys = new Map(differences.map((d) => [d.key, d.values]));
  const rows = [
    ...CONFIG_ROWS.map((c) => ({ key: c.key, label: c.label, values: diffKeys.get(c.key) ?? runs.map(c.get) })),
    ...differences.filter((d) => !CONFIG_ROWS.some((c) => c.key === d.key)).map((d) => ({ key: d.key, label: d.key, values: d.values })),
  ].filter((r) => !onlyDiff || diffKeys.has(r.key));
  const metricKeys = [...new Set(runs.flatMap((r) => r.metrics.map((m) => m.key)))].sort(
    (a, b) => (METRIC_ORDER.indexOf(a) + 1 || 99) - (METRIC_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
  const classNames = [...new Set(runs.flatMap((r) => r.evaluation?.perClass.map((c) => c.className) ?? []))];

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Compare {runs.length} runs</h1>
          <p className="muted">Curves are downsampled on the server to at most {MAX_POINTS} points per series; the shaded band keeps each bucket&apos;s min and max.</p>
        </div>
      </div>
      <section className="card">
        <ul className="legend-list">
          {runs.map((r, i) => (
            <li key={r.id}>
              <span className="swatch" style={{ background: color(i) }} />
              <Link href={`/runs/${r.id}`}>{r.name}</Link> <StatusBadge status={r.status} />
            </li>
          ))}
        </ul>
      </section>

      <section className="card">
        <div className="section-head">
          <h2>
            Configuration{" "}
            <span className="muted small" data-testid="diff-count">
              · {differences.length === 0 ? "identical configuration" : `${differences.length} key${differences.length === 1 ? "" : "s"} differ`}
            </span>
          </h2>
          <label className="check">
            <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> Only differences
          </label>
        </div>
        <div className="table-wrap">
          <table className="table compact" data-testid="config-table">
            <thead>
              <tr>
                <th>Key</th>
                {runs.map((r, i) => (
                  <th key={r.id}>
                    <span className="swatch" style={{ background: color(i) }} /> {r.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => {
                const differs = diffKeys.has(row.key);
                return (
                  <tr key={row.key} className={differs ? "diff" : ""} data-testid={differs ? "config-diff" : "config-same"} data-key={row.key}>
                    <th scope="row">
                      {row.label}
                      {differs && <span className="diff-mark">differs</span>}
                    </th>
                    {row.values.map((v, i) => (
                      <td key={i} className="mono">
                        {fmtValue(v)}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card">
        <h2>Curves</h2>
        {metricKeys.length === 0 ? (
          <p className="muted">None of these runs has reported an epoch yet.</p>
        ) : (
          <div className="grid-2">
            {metricKeys.map((k) => (
              <MetricChart
                key={k}
                title={k}
                testId={`compare-chart-${k}`}
                bands
                series={runs.map((r, i) => ({ label: r.name, color: color(i), points: pointsFromColumns(r.metrics.find((m) => m.key === k)?.columns) }))}
              />
            ))}
          </div>
        )}
      </section>

      <section className="card" data-testid="compare-evaluations">
        <h2>Evaluations</h2>
        {runs.every((r) => !r.evaluation) ? (
          <p className="muted">No run has an evaluation yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table compact">
              <thead>
                <tr>
                  <th />
                  {runs.map((r, i) => (
                    <th key={r.id} className="num">
                      <span className="swatch" style={{ background: color(i) }} /> {r.name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <EvalRow label="Split" runs={runs} get={(e) => e.split} />
                <EvalRow label="Accuracy" runs={runs} get={(e) => fmtPct(e.accuracy)} best={(e) => e.accuracy} />
                <EvalRow label="Macro F1" runs={runs} get={(e) => fmtNum(e.macroF1, 3)} best={(e) => e.macroF1} />
                <EvalRow label="Loss" runs={runs} get={(e) => fmtNum(e.loss)} best={(e) => -e.loss} />
                <EvalRow label="Examples" runs={runs} get={(e) => fmtInt(e.numExamples)} />
                {classNames.map((c) => (
                  <EvalRow
                    key={c}
                    label={`F1 · ${c}`}
                    runs={runs}
                    get={(e) => fmtNum(e.perClass.find((p) => p.className === c)?.f1, 3)}
                    best={(e) => e.perClass.find((p) => p.className === c)?.f1 ?? -1}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

type Eval = NonNullable<CRun["evaluation"]>;

function EvalRow({ label, runs, get, best }: { label: string; runs: CRun[]; get: (e: Eval) => string; best?: (e: Eval) => number }) {
  const scores = runs.map((r) => (r.evaluation && best ? best(r.evaluation) : null));
  const top = Math.max(...scores.filter((s): s is number => s != null));
  return (
    <tr>
      <th scope="row">{label}</th>
      {runs.map((r, i) => (
        <td key={r.id} className={`num ${best && scores[i] === top && runs.length > 1 ? "best" : ""}`}>
          {r.evaluation ? get(r.evaluation) : <span className="muted">—</span>}
        </td>
      ))}
    </tr>
  );
}
