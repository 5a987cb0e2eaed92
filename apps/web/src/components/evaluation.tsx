import { fmtInt, fmtNum, fmtPct } from "@/lib/format";

interface EvalLike {
  split: string;
  numExamples: number;
  loss: number;
  accuracy: number;
  macroF1: number;
  confusionMatrix: number[][];
  perClass: { className: string; precision: number; recall: number; f1: number; support: number }[];
}

export function EvaluationSummary({ evaluation }: { evaluation: EvalLike }) {
  return (
    <dl className="kv-grid" data-testid="evaluation-summary">
      <div>
        <dt>Split</dt>
        <dd>{evaluation.split}</dd>
      </div>
      <div>
        <dt>Examples</dt>
        <dd>{fmtInt(evaluation.numExamples)}</dd>
      </div>
      <div>
        <dt>Accuracy</dt>
        <dd className="big" data-testid="evaluation-accuracy">
          {fmtPct(evaluation.accuracy)}
        </dd>
      </div>
      <div>
        <dt>Macro F1</dt>
        <dd className="big">{fmtNum(evaluation.macroF1, 3)}</dd>
      </div>
      <div>
        <dt>Loss</dt>
        <dd>{fmtNum(evaluation.loss)}</dd>
      </div>
    </dl>
  );
}

export function PerClassTable({ evaluation }: { evaluation: EvalLike }) {
  return (
    <table className="table compact" data-testid="per-class-table">
      <thead>
        <tr>
          <th>Class</th>
          <th className="num">Precision</th>
          <th className="num">Recall</th>
          <th className="num">F1</th>
          <th className="num">Support</th>
        </tr>
      </thead>
      <tbody>
        {evaluation.perClass.map((c) => (
          <tr key={c.className}>
            <td>{c.className}</td>
            <td className="num">{fmtNum(c.precision, 3)}</td>
            <td className="num">{fmtNum(c.recall, 3)}</td>
            <td className="num">
              <span className="f1-bar" style={{ ["--v" as string]: c.f1 }}>{fmtNum(c.f1, 3)}</span>
            </td>
            <td className="num">{fmtInt(c.support)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ConfusionMatrix({ matrix, classNames }: { matrix: number[][]; classNames: string[] }) {
  const n = matrix.length;
  if (n === 0) return <p className="muted">No confusion matrix.</p>;
  const names = matrix.map((_, i) => classNames[i] ?? String(i));
  const rowSums = matrix.map((r) => r.reduce((a, b) => a + b, 0));
  const cell = n > 12 ? 22 : n > 6 ? 34 : n > 3 ? 48 : 72;
  return (
    <div className="cm-wrap" data-testid="confusion-matrix">
      <div className="cm-axis-x">predicted →</div>
      <div className="cm" style={{ gridTemplateColumns: `auto repeat(${n}, ${cell}px)` }} role="table" aria-label="Confusion matrix (rows: true class, columns: predicted class)">
        <div role="row" style={{ display: "contents" }}>
          <div className="cm-corner" role="columnheader">true ↓</div>
          {names.map((c) => (
            <div key={c} className="cm-head" role="columnheader" title={c}>
              {n > 12 ? "" : c}
            </div>
          ))}
        </div>
        {matrix.map((row, i) => (
          <div role="row" key={i} style={{ display: "contents" }}>
            <div className="cm-row-head" role="rowheader" title={names[i]}>
              {names[i]}
            </div>
            {row.map((v, j) => {
              const frac = rowSums[i] ? v / rowSums[i]! : 0;
              const color = i === j ? `rgba(37, 99, 235, ${0.08 + 0.92 * frac})` : `rgba(220, 38, 38, ${frac === 0 ? 0 : 0.1 + 0.9 * frac})`;
              return (
                <div
                  key={j}
                  role="cell"
                  className="cm-cell"
                  style={{ background: color, color: frac > 0.55 ? "white" : undefined, height: cell }}
                  title={`true ${names[i]}, predicted ${names[j]}: ${v} (${(frac * 100).toFixed(1)}% of row)`}
                >
                  {n > 12 ? "" : v}
                </div>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}
