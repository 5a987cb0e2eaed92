"use client";
import Link from "next/link";
import { useEffect, useMemo, useRef, useState } from "react";
import type { RunDetailFragment, RunEventsSubscription as RunEventsResult, RunStatus } from "@/gql/graphql";
import { useApiUrl, useMutation, useQuery, useReconnect, useSubscription } from "@/lib/api-context";
import { CancelRunMutation, RunEventsSubscription, RunQuery, SetRunTagsMutation } from "@/lib/documents";
import { absoluteUrl } from "@/lib/graphql";
import { batchBar } from "@/lib/batch-progress";
import { fmtBytes, fmtDate, fmtDuration, fmtInt, fmtNum } from "@/lib/format";
import { MetricChart, type ChartPoint } from "@/components/metric-chart";
import { ConfusionMatrix, EvaluationSummary, PerClassTable } from "@/components/evaluation";
import { Empty, ErrorBox, Loading, StatusBadge } from "@/components/states";

type RunEvent = RunEventsResult["runEventBatches"]["events"][number];
type ProgressEvent = Extract<RunEvent, { __typename: "Progress" }>;
interface LogEntry {
  level: string;
  message: string;
  at: string;
}

const TERMINAL: RunStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED"];
const MAX_LOGS = 2000;

const PHASE_STEP: Record<string, number> = {
  "download-dataset": 1,
  "load-dataset": 1,
  "download-model": 2,
  "load-model": 2,
  freeze: 3,
  configure: 4,
  compile: 4,
  train: 5,
  evaluate: 6,
  save: 7,
  upload: 7,
};

const ERROR_STEP: Record<string, number> = { prepare: 1, dataset: 1, model: 2, freeze: 3, configure: 4, train: 5, evaluate: 6, save: 7 };

export function RunView({ id }: { id: string }) {
  const q = useQuery(RunQuery, { id });
  const run = q.data?.run;
  const [liveStatus, setLiveStatus] = useState<{ status: RunStatus; error: string | null } | null>(null);
  const [liveEpochs, setLiveEpochs] = useState<Map<number, Record<string, number>>>(new Map());
  const [progress, setProgress] = useState<Record<string, ProgressEvent>>({});
  /** Epochs completed since the latest `train` progress (lib/batch-progress.ts). */
  const [epochsSinceBatches, setEpochsSinceBatches] = useState(0);
  const [logs, setLogs] = useState<LogEntry[]>([]);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // Events carry an increasing per-run seq: replay from 0 once, then resume after the last seen seq on reconnect. A
  // replay holds each phase's latest progress only (the API keeps no superseded values), which is all this page shows.
  const lastSeq = useRef(0);
  const [resumeSeq, setResumeSeq] = useState(0);

  // Reset live state when we navigate to another run.
  useEffect(() => {
    setLiveStatus(null);
    setLiveEpochs(new Map());
    setProgress({});
    setEpochsSinceBatches(0);
    setLogs([]);
    lastSeq.current = 0;
    setResumeSeq(0);
  }, [id]);

  const refetch = q.refetch;
  const scheduleRefetch = (ms = 300) => {
    if (refetchTimer.current) clearTimeout(refetchTimer.current);
    refetchTimer.current = setTimeout(() => void refetch(), ms);
  };
  useEffect(() => () => void (refetchTimer.current && clearTimeout(refetchTimer.current)), []);
  useReconnect(() => setResumeSeq(lastSeq.current));

  // One batch of events per message (a worker report, or a replayed page): applied with at most one state update of
  // each kind, so a run reporting 30 epochs at once renders once, not 30 times.
  const sub = useSubscription(RunEventsSubscription, { runId: id, afterSeq: resumeSeq }, ({ runEventBatches: batch }) => {
    let status: { status: RunStatus; error: string | null } | null = null;
    const epochs: [number, Record<string, number>][] = [];
    const phases: Record<string, ProgressEvent> = {};
    const newLogs: LogEntry[] = [];
    let trainProgressSeen = false;
    let epochsAfterProgress = 0;
    for (const ev of batch.events) {
      if (ev.seq != null) {
        if (ev.seq <= lastSeq.current) continue; // already applied (replay overlap)
        lastSeq.current = ev.seq;
      }
      switch (ev.__typename) {
        case "StatusChanged":
          status = { status: ev.status, error: ev.error ?? null };
          break;
        case "EpochCompleted":
          epochs.push([ev.epoch, (ev.metrics ?? {}) as Record<string, number>]);
          epochsAfterProgress++;
          break;
        case "Progress":
          phases[ev.phase] = ev;
          if (ev.phase === "train") {
            trainProgressSeen = true;
            epochsAfterProgress = 0;
          }
          break;
        case "LogLine":
          newLogs.push({ level: ev.level, message: ev.message, at: ev.at });
          break;
      }
    }
    if (status) {
      setLiveStatus(status);
      scheduleRefetch(); // backend, device, frozen layers, evaluation, output model
    }
    if (epochs.length) setLiveEpochs((m) => new Map([...m, ...epochs]));
    if (Object.keys(phases).length) setProgress((p) => ({ ...p, ...phases }));
    if (trainProgressSeen) setEpochsSinceBatches(epochsAfterProgress);
    else if (epochsAfterProgress) setEpochsSinceBatches((n) => n + epochsAfterProgress);
    if (newLogs.length)
      setLogs((l) => {
        const next = [...l, ...newLogs];
        return next.length > MAX_LOGS ? next.slice(-MAX_LOGS) : next;
      });
  });

  // A fresh query result supersedes the status heard live (a refetch follows every status event).
  useEffect(() => setLiveStatus(null), [q.data]);
  const status: RunStatus | undefined = liveStatus?.status ?? run?.status;
  const error = liveStatus?.error ?? run?.error ?? null;

  const series = useMemo(() => mergeMetrics(run, liveEpochs), [run, liveEpochs]);
  const maxEpoch = Math.max(0, ...[...series.values()].flatMap((pts) => pts.map((p) => p.step)));

  if (q.error && !run) return <ErrorBox error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return <Loading label="Loading run…" />;
  if (!run)
    return (
      <Empty title="Run not found">
        No run has id <code>{id}</code>. <Link href="/runs">Back to runs</Link>
      </Empty>
    );

  const lossSeries = ["loss", "val_loss"].map((k, i) => ({ label: k, color: i ? "#dc2626" : "#2563eb", points: series.get(k) ?? [] }));
  const accSeries = ["acc", "val_acc"].map((k, i) => ({ label: k, color: i ? "#dc2626" : "#2563eb", points: series.get(k) ?? [] }));
  const otherKeys = [...series.keys()].filter((k) => !["loss", "val_loss", "acc", "val_acc"].includes(k));

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <div className="crumbs">
            <Link href="/runs">Runs</Link> /
          </div>
          <h1 className="with-badge">
            <span data-testid="run-name">{run.name}</span> {status && <StatusBadge status={status} />}
          </h1>
          <p className="muted">
            {run.dataset.name} v{run.dataset.version} · {run.baseModel ? `${run.baseModel.name} v${run.baseModel.version}` : "from scratch"} · created {fmtDate(run.createdAt)}
            {run.startedAt ? ` · ${fmtDuration(run.startedAt, run.finishedAt)}` : ""}
            {run.backend ? ` · ${run.backend}${run.device ? ` on ${run.device}` : ""}` : ""}
            {run.attempt > 1 ? ` · attempt ${run.attempt}` : ""}
          </p>
        </div>
        <div className="actions">
          <RunActions id={run.id} status={status!} cancelRequested={run.cancelRequested} onDone={() => void q.refetch()} />
        </div>
      </div>
      {sub.error && <div className="state state-warn">Live updates: {sub.error}</div>}
      {status === "QUEUED" && run.waitingReason && (
        <div className="state state-warn" data-testid="waiting-reason">
          <strong>Queued.</strong> {run.waitingReason}
        </div>
      )}
      {error && (status === "FAILED" || status === "CANCELLED") && (
        <div className="state state-error" role="alert" data-testid="run-error">
          <strong>{status === "FAILED" ? "Failed:" : "Cancelled:"}</strong> {error}
        </div>
      )}

      <Timeline run={run} status={status!} progress={progress} batches={batchBar(progress.train, epochsSinceBatches)} epoch={maxEpoch} />

      <section className="card">
        <div className="section-head">
          <h2>Training curves</h2>
          <span className="muted" data-testid="epoch-counter">
            epoch {maxEpoch} / {run.config.epochs}
          </span>
        </div>
        <div className="grid-2">
          <MetricChart title="Loss" testId="chart-loss" series={lossSeries} />
          <MetricChart title="Accuracy" testId="chart-acc" series={accSeries} />
          {otherKeys.map((k) => (
            <MetricChart key={k} title={k} testId={`chart-${k}`} series={[{ label: k, color: "#059669", points: series.get(k) ?? [] }]} />
          ))}
        </div>
      </section>

      <div className="grid-2">
        <section className="card">
          <h2>Configuration</h2>
          <dl className="kv" data-testid="run-config">
            <dt>Learning rate</dt>
            <dd>{fmtNum(run.config.learningRate)}</dd>
            <dt>Epochs</dt>
            <dd>{run.config.epochs}</dd>
            <dt>Batch size</dt>
            <dd>{run.config.batchSize}</dd>
            <dt>Optimizer</dt>
            <dd>{run.config.optimizer.toLowerCase()}</dd>
            <dt>Validation split</dt>
            <dd>{run.config.validationSplit}</dd>
            <dt>Seed</dt>
            <dd>{run.config.seed}</dd>
            <dt>Early stopping</dt>
            <dd>{run.config.earlyStoppingPatience == null ? "off" : `patience ${run.config.earlyStoppingPatience}`}</dd>
            <dt>Parameters</dt>
            <dd>
              {run.trainableParams + run.frozenParams > 0 ? `${fmtInt(run.trainableParams)} trainable · ${fmtInt(run.frozenParams)} frozen` : <span className="muted">known once a worker has built the model</span>}
            </dd>
            <dt>Worker</dt>
            <dd>{run.worker ? run.worker.name : "—"}</dd>
          </dl>
          <Tags id={run.id} tags={run.tags} />
        </section>
        <section className="card">
          <h2>Layers {run.baseModel ? `(${run.frozenLayers.length} frozen)` : ""}</h2>
          {!run.baseModel ? (
            <p className="muted">From scratch: no base model, nothing to freeze.</p>
          ) : (
            <div className="scroll-y">
              <table className="table compact" data-testid="run-layers">
                <thead>
                  <tr>
                    <th>#</th>
                    <th>Layer</th>
                    <th>Class</th>
                    <th className="num">Params</th>
                    <th>State</th>
                  </tr>
                </thead>
                <tbody>
                  {run.baseModel.layers.map((l) => {
                    const frozen = run.frozenLayers.includes(l.name);
                    return (
                      <tr key={l.index} className={frozen ? "frozen" : ""}>
                        <td className="muted">{l.index}</td>
                        <td className="mono">{l.name}</td>
                        <td>{l.className}</td>
                        <td className="num">{fmtInt(l.params)}</td>
                        <td>{frozen ? <span className="tag tag-frozen">frozen</span> : l.params ? <span className="tag">trainable</span> : <span className="muted">—</span>}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </section>
      </div>

      <section className="card" data-testid="evaluation">
        <h2>Evaluation</h2>
        {!run.evaluation ? (
          <p className="muted">{status && TERMINAL.includes(status) ? "This run has no evaluation." : "Appears once training finishes (step 6)."}</p>
        ) : (
          <>
            <EvaluationSummary evaluation={run.evaluation} />
            <div className="grid-2">
              <PerClassTable evaluation={run.evaluation} />
              <ConfusionMatrix matrix={run.evaluation.confusionMatrix} classNames={run.outputModel?.classNames ?? run.dataset.classNames} />
            </div>
          </>
        )}
      </section>

      <div className="grid-2">
        <section className="card">
          <h2>Saved model</h2>
          {run.outputModel ? <ModelDownload model={run.outputModel} /> : <p className="muted">Appears once the run saves its fine-tuned model (step 7).</p>}
        </section>
        <section className="card">
          <div className="section-head">
            <h2>Logs</h2>
            <span className="muted">{logs.length ? `${logs.length} line${logs.length === 1 ? "" : "s"}` : ""}</span>
          </div>
          <Logs logs={logs} status={status} />
        </section>
      </div>
    </div>
  );
}

function mergeMetrics(run: RunDetailFragment | null | undefined, live: Map<number, Record<string, number>>) {
  const byKey = new Map<string, Map<number, ChartPoint>>();
  for (const s of run?.metrics ?? []) {
    const m = new Map<number, ChartPoint>();
    for (const p of s.points) m.set(p.step, p);
    byKey.set(s.key, m);
  }
  for (const [epoch, metrics] of live) {
    for (const [k, v] of Object.entries(metrics)) {
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      let m = byKey.get(k);
      if (!m) byKey.set(k, (m = new Map()));
      if (!m.has(epoch)) m.set(epoch, { step: epoch, value: v, min: v, max: v });
    }
  }
  const out = new Map<string, ChartPoint[]>();
  for (const [k, m] of byKey) out.set(k, [...m.values()].sort((a, b) => a.step - b.step));
  return out;
}

type StepState = "done" | "active" | "pending" | "failed" | "skipped";

function Timeline({
  run,
  status,
  progress,
  batches,
  epoch,
}: {
  run: RunDetailFragment;
  status: RunStatus;
  progress: Record<string, ProgressEvent>;
  /** The epoch in training's batches (lib/batch-progress.ts), or null for no bar. */
  batches: { done: number; total: number } | null;
  epoch: number;
}) {
  const seen = Math.max(0, ...Object.keys(progress).map((p) => PHASE_STEP[p] ?? 0));
  let reached = seen; // highest step started
  if (status === "PREPARING") reached = Math.max(reached, 1);
  if (status === "RUNNING") reached = Math.max(reached, 5);
  if (epoch > 0) reached = Math.max(reached, 5);
  if (run.evaluation) reached = Math.max(reached, 7);
  if (run.outputModel || status === "SUCCEEDED") reached = 8;
  const terminal = TERMINAL.includes(status);
  if (status === "FAILED" && run.errorStep) {
    const failedAt = ERROR_STEP[run.errorStep] ?? PHASE_STEP[run.errorStep];
    if (failedAt) reached = failedAt;
  }

  const state = (n: number): StepState => {
    if (n === 2 && !run.baseModel) return reached >= 2 || terminal ? "skipped" : "pending";
    if (n === 3 && !run.baseModel && reached > 3) return "done";
    if (n < reached) return "done";
    if (n === reached) {
      if (status === "FAILED" || status === "CANCELLED") return "failed";
      return terminal ? "done" : "active";
    }
    if (status === "QUEUED" || n > reached) return "pending";
    return "pending";
  };
  const dl = progress["download-model"] ?? progress["load-model"];
  const steps: { title: string; detail: React.ReactNode }[] = [
    { title: "Dataset prepared", detail: `${run.dataset.name} v${run.dataset.version} · ${fmtInt(run.dataset.numExamples)} examples` },
    {
      title: "Base model loaded",
      detail: !run.baseModel ? (
        "none (from scratch)"
      ) : dl && state(2) === "active" ? (
        <ProgressBar done={dl.done} total={dl.total ?? null} label={dl.phase === "download-model" ? "downloading" : "loading"} bytes={dl.phase === "download-model"} />
      ) : (
        `${run.baseModel.name} v${run.baseModel.version}`
      ),
    },
    { title: "Layers frozen", detail: run.baseModel ? `${run.frozenLayers.length} of ${run.baseModel.layers.length} layers` : "nothing to freeze" },
    { title: "Configured", detail: `${run.config.optimizer.toLowerCase()} · lr ${fmtNum(run.config.learningRate)} · batch ${run.config.batchSize}` },
    {
      title: "Training",
      detail: (
        <>
          <span data-testid="timeline-epoch">
            epoch {epoch}/{run.config.epochs}
          </span>
          {state(5) === "active" && batches ? <ProgressBar done={batches.done} total={batches.total} label="batches" /> : null}
        </>
      ),
    },
    { title: "Evaluated", detail: run.evaluation ? `accuracy ${(run.evaluation.accuracy * 100).toFixed(1)}% on ${run.evaluation.split}` : "validation / test" },
    { title: "Saved", detail: run.outputModel ? `${run.outputModel.name} v${run.outputModel.version}` : "tfjs model + weights" },
  ];
  return (
    <ol className="timeline card" aria-label="Fine-tuning steps" data-testid="timeline">
      {steps.map((s, i) => {
        const st = state(i + 1);
        return (
          <li key={s.title} className={`step step-${st}`} data-state={st} data-testid={`step-${i + 1}`}>
            <span className="step-dot" aria-hidden>
              {st === "done" ? "✓" : st === "failed" ? "✕" : st === "skipped" ? "–" : i + 1}
            </span>
            <div>
              <div className="step-title">{s.title}</div>
              <div className="step-detail muted">{s.detail}</div>
            </div>
          </li>
        );
      })}
    </ol>
  );
}

function ProgressBar({ done, total, label, bytes }: { done: number; total: number | null; label: string; bytes?: boolean }) {
  const pct = total ? Math.min(100, (100 * done) / total) : null;
  const fmt = bytes ? fmtBytes : fmtInt;
  return (
    <div className="progress" data-testid="download-progress">
      <div
        className="progress-bar"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct ?? undefined}
      >
        <div style={{ width: pct == null ? "30%" : `${pct}%` }} className={pct == null ? "indeterminate" : ""} />
      </div>
      <small>
        {label} {fmt(done)}
        {total ? ` / ${fmt(total)}` : ""}
      </small>
    </div>
  );
}

function RunActions({ id, status, cancelRequested, onDone }: { id: string; status: RunStatus; cancelRequested: boolean; onDone: () => void }) {
  const cancel = useMutation(CancelRunMutation);
  const [err, setErr] = useState<string>();
  const canCancel = status === "QUEUED" || status === "PREPARING" || status === "RUNNING";
  return (
    <>
      {err && <span className="field-error">{err}</span>}
      <Link className="btn" href={`/launch?from=${id}`}>
        Re-launch…
      </Link>
      {canCancel && (
        <button
          type="button"
          className="btn btn-danger"
          disabled={cancel.pending || cancelRequested}
          onClick={async () => {
            setErr(undefined);
            try {
              await cancel.mutate({ id });
              onDone();
            } catch (e) {
              setErr((e as Error).message);
            }
          }}
        >
          {cancel.pending || cancelRequested ? "Cancelling…" : "Cancel run"}
        </button>
      )}
    </>
  );
}

function Tags({ id, tags }: { id: string; tags: string[] }) {
  const setTags = useMutation(SetRunTagsMutation);
  const [current, setCurrent] = useState(tags);
  const [input, setInput] = useState("");
  const [err, setErr] = useState<string>();
  useEffect(() => setCurrent(tags), [tags]);
  const save = async (next: string[]) => {
    setErr(undefined);
    const prev = current;
    setCurrent(next);
    try {
      const r = await setTags.mutate({ id, tags: next });
      setCurrent(r.setRunTags.tags);
    } catch (e) {
      setCurrent(prev);
      setErr((e as Error).message);
    }
  };
  return (
    <div className="field" data-testid="run-tags">
      <span className="filter-label">Tags</span>
      <div className="tags">
        {current.length === 0 && <span className="muted">no tags</span>}
        {current.map((t) => (
          <span key={t} className="tag">
            {t}
            <button type="button" className="tag-x" aria-label={`Remove tag ${t}`} onClick={() => void save(current.filter((x) => x !== t))}>
              ×
            </button>
          </span>
        ))}
      </div>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const t = input.trim();
          if (!t || current.includes(t)) return;
          setInput("");
          void save([...current, t]);
        }}
      >
        <input aria-label="New tag" placeholder="add a tag" value={input} onChange={(e) => setInput(e.target.value)} />
        <button type="submit" className="btn btn-small" disabled={setTags.pending}>
          Add
        </button>
      </form>
      {err && <p className="field-error">{err}</p>}
    </div>
  );
}

function ModelDownload({ model }: { model: NonNullable<RunDetailFragment["outputModel"]> }) {
  const apiUrl = useApiUrl();
  return (
    <div data-testid="output-model">
      <p>
        <Link href="/models">
          {model.name} v{model.version}
        </Link>
      </p>
      <dl className="kv">
        <dt>Size</dt>
        <dd>{fmtBytes(model.artifact.sizeBytes)}</dd>
        <dt>SHA-256</dt>
        <dd className="mono ellipsis" title={model.artifact.sha256}>
          {model.artifact.sha256}
        </dd>
      </dl>
      <a className="btn btn-primary" href={absoluteUrl(apiUrl, model.artifact.downloadUrl)} download>
        Download model
      </a>
    </div>
  );
}

function Logs({ logs, status }: { logs: LogEntry[]; status: RunStatus | undefined }) {
  const ref = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [logs]);
  if (logs.length === 0)
    return <p className="muted">{status && TERMINAL.includes(status) ? "No log lines were streamed while this page was open." : "Log lines appear here as the worker reports them."}</p>;
  return (
    <pre
      className="logs"
      ref={ref}
      data-testid="logs"
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 30;
      }}
    >
      {logs.map((l, i) => (
        <div key={i} className={`log log-${l.level.toLowerCase()}`}>
          <span className="log-at">{l.at.slice(11, 19)}</span> <span className="log-level">{l.level.toUpperCase().padEnd(5)}</span> {l.message}
        </div>
      ))}
    </pre>
  );
}
