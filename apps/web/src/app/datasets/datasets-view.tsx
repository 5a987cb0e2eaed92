"use client";
import { useMemo, useState } from "react";
import type { BadRowPolicy, DatasetFileFormat, DatasetsQuery as DatasetsResult, TaskType } from "@/gql/graphql";
import { useApiUrl, useMutation, useQuery } from "@/lib/api-context";
import { DatasetsQuery, RegisterDatasetMutation } from "@/lib/documents";
import { ApiError, fieldErrors } from "@/lib/graphql";
import { fmtBytes, fmtDate, fmtInt } from "@/lib/format";
import { Empty, ErrorBox, Loading } from "@/components/states";

type D = DatasetsResult["datasets"][number];
interface RowError {
  line: number;
  reason: string;
}

const TASKS: TaskType[] = ["TABULAR_CLASSIFICATION", "TEXT_CLASSIFICATION", "IMAGE_CLASSIFICATION"];

export function DatasetsView() {
  const q = useQuery(DatasetsQuery, {});
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const groups = useMemo(() => {
    const m = new Map<string, D[]>();
    for (const d of q.data?.datasets ?? []) m.set(d.name, [...(m.get(d.name) ?? []), d]);
    for (const v of m.values()) v.sort((a, b) => b.version - a.version);
    return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [q.data]);

  if (q.error) return <ErrorBox error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return <Loading label="Loading datasets…" />;
  const selected = q.data.datasets.find((d) => d.id === selectedId) ?? groups[0]?.[1][0];

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Datasets</h1>
          <p className="muted">Immutable, versioned datasets. Uploading a file under an existing name creates the next version.</p>
        </div>
      </div>
      <div className="grid-2 wide-left">
        <section className="card">
          <h2>Registered</h2>
          {groups.length === 0 ? (
            <Empty title="No datasets yet">Upload a CSV or JSONL file on the right.</Empty>
          ) : (
            <table className="table compact" data-testid="datasets-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Versions</th>
                  <th>Task</th>
                  <th className="num">Examples</th>
                  <th className="num">Classes</th>
                  <th>Source</th>
                </tr>
              </thead>
              <tbody>
                {groups.map(([name, versions]) => {
                  const latest = versions[0]!;
                  return (
                    <tr key={name} data-testid="dataset-row" className={selected?.name === name ? "selected" : ""}>
                      <td>
                        <button type="button" className="linklike" onClick={() => setSelectedId(latest.id)}>
                          {name}
                        </button>
                      </td>
                      <td>
                        {versions.map((v) => (
                          <button
                            key={v.id}
                            type="button"
                            className={`chip chip-small ${selected?.id === v.id ? "chip-on" : ""}`}
                            onClick={() => setSelectedId(v.id)}
                            aria-label={`${name} version ${v.version}`}
                          >
                            v{v.version}
                          </button>
                        ))}
                      </td>
                      <td>{latest.task.replace("_CLASSIFICATION", "").toLowerCase()}</td>
                      <td className="num">{fmtInt(latest.numExamples)}</td>
                      <td className="num">{latest.classNames.length}</td>
                      <td className="muted">{latest.source.startsWith("builtin") ? "built-in" : `upload (${latest.format})`}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {selected && <DatasetDetail d={selected} />}
        </section>
        <section className="card">
          <h2>Upload a dataset</h2>
          <UploadForm existing={groups.map(([n]) => n)} onDone={(id) => void q.refetch().then(() => setSelectedId(id))} />
        </section>
      </div>
    </div>
  );
}

function DatasetDetail({ d }: { d: D }) {
  const max = Math.max(1, ...d.classCounts);
  return (
    <div className="dataset-detail" data-testid="dataset-detail">
      <h3>
        {d.name} <span className="muted">v{d.version}</span>
      </h3>
      {d.description && <p className="muted">{d.description}</p>}
      <dl className="kv">
        <dt>Examples</dt>
        <dd>{fmtInt(d.numExamples)}</dd>
        <dt>Size</dt>
        <dd>{fmtBytes(d.sizeBytes)}</dd>
        <dt>Created</dt>
        <dd>{fmtDate(d.createdAt)}</dd>
        <dt>SHA-256</dt>
        <dd className="mono ellipsis" title={d.sha256}>
          {d.sha256}
        </dd>
      </dl>
      <h4>Class distribution</h4>
      <div className="bars" data-testid="class-distribution">
        {d.classNames.map((c, i) => {
          const n = d.classCounts[i] ?? 0;
          return (
            <div key={c} className="bar-row">
              <span className="bar-label" title={c}>
                {c}
              </span>
              <span className="bar-track">
                <span className="bar-fill" style={{ width: `${(100 * n) / max}%` }} />
              </span>
              <span className="bar-value">
                {fmtInt(n)} <span className="muted">({d.numExamples ? ((100 * n) / d.numExamples).toFixed(1) : 0}%)</span>
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

/** Finds row errors in an API error's extensions (any array of { line, reason }). */
function rowErrorsOf(err: unknown): RowError[] {
  if (!(err instanceof ApiError)) return [];
  const out: RowError[] = [];
  for (const e of err.errors) {
    for (const v of Object.values(e.extensions ?? {})) {
      if (Array.isArray(v)) for (const r of v) if (r && typeof r === "object" && "line" in r) out.push({ line: Number(r.line), reason: String(r.reason ?? r.message ?? "") });
    }
  }
  return out;
}

function UploadForm({ existing, onDone }: { existing: string[]; onDone: (id: string) => void }) {
  const apiUrl = useApiUrl();
  const register = useMutation(RegisterDatasetMutation);
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [task, setTask] = useState<TaskType>("TABULAR_CLASSIFICATION");
  const [labelColumn, setLabelColumn] = useState("label");
  const [textColumn, setTextColumn] = useState("text");
  const [onBadRow, setOnBadRow] = useState<BadRowPolicy>("FAIL");
  const [description, setDescription] = useState("");
  const [uploading, setUploading] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [rowErrors, setRowErrors] = useState<RowError[]>([]);
  const [result, setResult] = useState<{ text: string; skipped: RowError[] } | null>(null);

  const format: DatasetFileFormat | null = file ? (/\.jsonl?$/i.test(file.name) ? "JSONL" : /\.(csv|tsv|txt)$/i.test(file.name) ? "CSV" : null) : null;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setErrors({});
    setRowErrors([]);
    setResult(null);
    const local: Record<string, string> = {};
    if (!name.trim()) local.name = "Give the dataset a name";
    if (!file) local.file = "Choose a CSV or JSONL file";
    else if (!format) local.file = "Only .csv and .jsonl files are supported";
    if (Object.keys(local).length) return setErrors(local);
    setUploading(true);
    try {
      let artifactId: string;
      try {
        const res = await fetch(`${apiUrl}/artifacts`, {
          method: "POST",
          headers: { "content-type": format === "CSV" ? "text/csv" : "application/x-ndjson" },
          body: file,
        });
        const body = (await res.json().catch(() => ({}))) as { id?: string; error?: string; message?: string };
        if (!res.ok || !body.id) throw new Error(body.message ?? body.error ?? `upload failed with HTTP ${res.status}`);
        artifactId = body.id;
      } catch (err) {
        setErrors({ file: `Upload failed: ${(err as Error).message}` });
        return;
      }
      try {
        const r = await register.mutate({
          input: {
            name: name.trim(),
            task,
            format: format!,
            artifactId,
            labelColumn: labelColumn || undefined,
            ...(task === "TEXT_CLASSIFICATION" ? { textColumn: textColumn || undefined } : {}),
            onBadRow,
            ...(description.trim() ? { description: description.trim() } : {}),
          },
        });
        const reg = r.registerDataset;
        setResult({
          text: reg.created
            ? `Registered ${reg.dataset.name} v${reg.dataset.version} with ${fmtInt(reg.dataset.numExamples)} examples.`
            : `Identical to ${reg.dataset.name} v${reg.dataset.version}: no new version was made.`,
          skipped: reg.skippedRows,
        });
        onDone(reg.dataset.id);
      } catch (err) {
        setRowErrors(rowErrorsOf(err));
        setErrors(fieldErrors(err, { name: [], task: [], file: ["format", "artifactId", "content"], labelColumn: ["label column", "label"], textColumn: ["text column", "text"] }));
      }
    } finally {
      setUploading(false);
    }
  }

  const err = (k: string) =>
    errors[k] ? (
      <p className="field-error" role="alert" data-testid={`error-${k}`}>
        {errors[k]}
      </p>
    ) : null;

  return (
    <form onSubmit={submit} noValidate aria-label="Upload a dataset">
      <label className="field">
        <span>File (.csv with a header row, or .jsonl)</span>
        <input type="file" accept=".csv,.jsonl,.json,text/csv,application/x-ndjson" aria-label="Dataset file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        {file && (
          <small className="muted">
            {file.name} · {fmtBytes(file.size)} · {format ?? "unsupported format"}
          </small>
        )}
        {err("file")}
      </label>
      <label className="field">
        <span>Name</span>
        <input aria-label="Dataset name" list="dataset-names" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. support-tickets" />
        <datalist id="dataset-names">
          {existing.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
        {existing.includes(name.trim()) && <small className="muted">Exists: this upload becomes its next version.</small>}
        {err("name")}
      </label>
      <label className="field">
        <span>Task</span>
        <select aria-label="Task" value={task} onChange={(e) => setTask(e.target.value as TaskType)}>
          {TASKS.map((t) => (
            <option key={t} value={t}>
              {t.replace("_CLASSIFICATION", "").toLowerCase()} classification
            </option>
          ))}
        </select>
        {err("task")}
      </label>
      <div className="grid-fields">
        <label className="field">
          <span>Label column</span>
          <input aria-label="Label column" value={labelColumn} onChange={(e) => setLabelColumn(e.target.value)} />
          {err("labelColumn")}
        </label>
        {task === "TEXT_CLASSIFICATION" && (
          <label className="field">
            <span>Text column</span>
            <input aria-label="Text column" value={textColumn} onChange={(e) => setTextColumn(e.target.value)} />
            {err("textColumn")}
          </label>
        )}
      </div>
      <label className="field">
        <span>Bad rows</span>
        <select aria-label="Bad rows" value={onBadRow} onChange={(e) => setOnBadRow(e.target.value as BadRowPolicy)}>
          <option value="FAIL">Reject the file and list every bad row</option>
          <option value="SKIP">Skip bad rows and report them</option>
        </select>
      </label>
      <label className="field">
        <span>Description (optional)</span>
        <input aria-label="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      {errors._form && (
        <div className="state state-error" role="alert" data-testid="error-form">
          {errors._form}
        </div>
      )}
      {rowErrors.length > 0 && <RowErrors rows={rowErrors} title={`${rowErrors.length} row${rowErrors.length === 1 ? "" : "s"} could not be used`} />}
      {result && (
        <div className="state state-ok" role="status" data-testid="upload-result">
          {result.text}
          {result.skipped.length > 0 && <RowErrors rows={result.skipped} title={`${result.skipped.length} bad row(s) skipped`} />}
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={uploading}>
          {uploading ? "Uploading…" : "Upload and register"}
        </button>
      </div>
    </form>
  );
}

function RowErrors({ rows, title }: { rows: RowError[]; title: string }) {
  return (
    <div className="row-errors" data-testid="row-errors">
      <strong>{title}</strong>
      <div className="scroll-y short">
        <table className="table compact">
          <thead>
            <tr>
              <th className="num">Line</th>
              <th>Problem</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, 500).map((r, i) => (
              <tr key={i}>
                <td className="num">{r.line}</td>
                <td>{r.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > 500 && <small className="muted">…and {rows.length - 500} more</small>}
    </div>
  );
}
