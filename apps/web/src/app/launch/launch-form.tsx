"use client";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import type { Backend, LaunchRunInput, Optimizer } from "@/gql/graphql";
import { useMutation, useQuery } from "@/lib/api-context";
import { LaunchFromRunQuery, LaunchOptionsQuery, LaunchRunMutation } from "@/lib/documents";
import { fieldErrors } from "@/lib/graphql";
import { BACKENDS, fmtInt, OPTIMIZERS } from "@/lib/format";
import { Empty, ErrorBox, Loading } from "@/components/states";

const FIELD_ALIASES: Record<string, string[]> = {
  name: ["run name"],
  datasetId: ["dataset"],
  baseModelId: ["base model", "baseModel", "model"],
  freeze: ["layers", "upToIndex", "frozen", "freeze"],
  learningRate: ["learning rate", "lr"],
  epochs: ["epoch"],
  batchSize: ["batch size", "batch"],
  optimizer: [],
  validationSplit: ["validation split", "split"],
  seed: [],
  earlyStoppingPatience: ["early stopping", "patience"],
  backends: ["backend"],
  tags: ["tag"],
};

interface FormState {
  name: string;
  datasetId: string;
  baseModelId: string; // "" = from scratch
  frozen: Set<string>;
  learningRate: string;
  epochs: string;
  batchSize: string;
  optimizer: Optimizer;
  validationSplit: string;
  seed: string;
  earlyStopping: boolean;
  earlyStoppingPatience: string;
  backends: Backend[];
  tags: string;
}

const DEFAULTS: Omit<FormState, "datasetId" | "baseModelId" | "frozen"> = {
  name: "",
  learningRate: "0.001",
  epochs: "5",
  batchSize: "32",
  optimizer: "ADAM",
  validationSplit: "0.2",
  seed: "",
  earlyStopping: false,
  earlyStoppingPatience: "3",
  backends: [],
  tags: "",
};

export function LaunchForm() {
  const params = useSearchParams();
  const router = useRouter();
  const fromId = params.get("from");
  const options = useQuery(LaunchOptionsQuery, {});
  const from = useQuery(LaunchFromRunQuery, { id: fromId ?? "" }, { skip: !fromId });
  const launch = useMutation(LaunchRunMutation);
  const [form, setForm] = useState<FormState | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});

  const datasets = options.data?.datasets;
  const models = options.data?.models;

  // Initialise once options (and the run to re-launch, if any) are loaded.
  useEffect(() => {
    if (form || !datasets || !models) return;
    if (fromId && !from.data && !from.error) return;
    const src = from.data?.run;
    if (src) {
      const c = src.config;
      setForm({
        name: `${src.name} (re-run)`,
        datasetId: src.dataset.id,
        baseModelId: src.baseModel?.id ?? "",
        frozen: new Set(src.frozenLayers),
        learningRate: String(c.learningRate),
        epochs: String(c.epochs),
        batchSize: String(c.batchSize),
        optimizer: c.optimizer,
        validationSplit: String(c.validationSplit),
        seed: String(c.seed),
        earlyStopping: c.earlyStoppingPatience != null,
        earlyStoppingPatience: String(c.earlyStoppingPatience ?? 3),
        backends: src.requestedBackends,
        tags: src.tags.join(", "),
      });
      return;
    }
    // A newcomer gets a built-in dataset that a base model can be fine-tuned on, preferring the real transfer
    // targets (digits 0-4 CNN -> digits 5-9, then the SOTU-vs-Moby-Dick text model -> spam) over a base model's own task.
    const TRANSFER_TARGETS = ["mnist-digits-5-9", "spam-assassin"];
    const rank = (d: (typeof datasets)[number]) => {
      const i = TRANSFER_TARGETS.indexOf(d.name);
      return i >= 0 ? i : TRANSFER_TARGETS.length + Number(!d.source.startsWith("builtin"));
    };
    const byPreference = [...datasets].sort((a, b) => rank(a) - rank(b));
    const ds = byPreference.find((d) => models.some((m) => m.kind === "BASE" && m.task === d.task)) ?? byPreference[0];
    const base = ds ? models.find((m) => m.kind === "BASE" && m.task === ds.task) : undefined;
    setForm({ ...DEFAULTS, datasetId: ds?.id ?? "", baseModelId: base?.id ?? "", frozen: new Set() });
  }, [form, datasets, models, fromId, from.data, from.error]);

  const dataset = datasets?.find((d) => d.id === form?.datasetId);
  const compatible = useMemo(
    () => (models ?? []).filter((m) => !dataset || m.task === dataset.task).sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "BASE" ? -1 : 1)),
    [models, dataset],
  );
  const model = models?.find((m) => m.id === form?.baseModelId);
  const layers = model?.layers ?? [];
  const frozenParams = layers.filter((l) => form?.frozen.has(l.name)).reduce((n, l) => n + l.params, 0);
  const totalParams = layers.reduce((n, l) => n + l.params, 0);

  if (options.error) return <ErrorBox error={options.error} retry={() => void options.refetch()} />;
  if (from.error) return <ErrorBox error={from.error} />;
  if (!form || !datasets || !models) return <Loading label="Loading datasets and models…" />;
  if (datasets.length === 0)
    return (
      <Empty title="No datasets yet">
        <Link href="/datasets">Upload a dataset</Link> first.
      </Empty>
    );

  const update = (patch: Partial<FormState>) => setForm((f) => (f ? { ...f, ...patch } : f));
  const clearError = (k: string) => errors[k] && setErrors(({ [k]: _, ...rest }) => rest);

  const setDataset = (id: string) => {
    const ds = datasets.find((d) => d.id === id);
    const keep = models.find((m) => m.id === form.baseModelId && m.task === ds?.task);
    const base = keep ?? models.find((m) => m.kind === "BASE" && m.task === ds?.task);
    update({ datasetId: id, baseModelId: base?.id ?? "", frozen: keep ? form.frozen : new Set() });
    clearError("datasetId");
  };
  const toggleLayer = (name: string) => {
    const next = new Set(form.frozen);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    update({ frozen: next });
    clearError("freeze");
  };
  const freezeUpTo = (idx: number) => {
    update({ frozen: new Set(layers.filter((l) => l.index <= idx).map((l) => l.name)) });
    clearError("freeze");
  };
  const toggleBackend = (b: Backend) =>
    update({ backends: form.backends.includes(b) ? form.backends.filter((x) => x !== b) : [...form.backends, b] });

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!form) return;
    const local: Record<string, string> = {};
    const num = (k: keyof FormState, v: string, opts: { int?: boolean; min?: number; max?: number; optional?: boolean }) => {
      if (v.trim() === "") {
        if (!opts.optional) local[k] = "Required";
        return undefined;
      }
      const n = Number(v);
      if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n))) local[k] = opts.int ? "Enter a whole number" : "Enter a number";
      return n;
    };
    const learningRate = num("learningRate", form.learningRate, {});
    const epochs = num("epochs", form.epochs, { int: true });
    const batchSize = num("batchSize", form.batchSize, { int: true });
    const validationSplit = num("validationSplit", form.validationSplit, {});
    const seed = num("seed", form.seed, { int: true, optional: true });
    const patience = form.earlyStopping ? num("earlyStoppingPatience", form.earlyStoppingPatience, { int: true }) : undefined;
    if (!form.datasetId) local.datasetId = "Choose a dataset";
    if (Object.keys(local).length) {
      setErrors(local);
      return;
    }
    const tags = form.tags.split(",").map((t) => t.trim()).filter(Boolean);
    const input: LaunchRunInput = {
      datasetId: form.datasetId,
      ...(form.name.trim() ? { name: form.name.trim() } : {}),
      ...(form.baseModelId ? { baseModelId: form.baseModelId } : {}),
      ...(form.baseModelId && form.frozen.size ? { freeze: { layers: layers.filter((l) => form.frozen.has(l.name)).map((l) => l.name) } } : {}),
      config: {
        learningRate: learningRate!,
        epochs: epochs!,
        batchSize: batchSize!,
        optimizer: form.optimizer,
        validationSplit: validationSplit!,
        ...(seed != null ? { seed } : {}),
        ...(patience != null ? { earlyStoppingPatience: patience } : {}),
      },
      ...(tags.length ? { tags } : {}),
      ...(form.backends.length ? { backends: form.backends } : {}),
    };
    setErrors({});
    try {
      const res = await launch.mutate({ input });
      router.push(`/runs/${res.launchRun.id}`);
    } catch (err) {
      setErrors(fieldErrors(err, FIELD_ALIASES));
    }
  }

  const err = (k: string) =>
    errors[k] ? (
      <p className="field-error" role="alert" id={`${k}-error`} data-testid={`error-${k}`}>
        {errors[k]}
      </p>
    ) : null;
  const workers = options.data?.workers ?? [];
  const workerBackends = new Set(workers.map((w) => w.backend));

  return (
    <form className="page launch" onSubmit={submit} noValidate aria-label="Launch a fine-tuning run">
      <div className="page-head">
        <div>
          <h1>Launch a run</h1>
          <p className="muted">
            {fromId && from.data?.run ? (
              <>
                Re-launching <Link href={`/runs/${from.data.run.id}`}>{from.data.run.name}</Link> with its configuration.
              </>
            ) : (
              "Pick a dataset and a base model, choose which layers stay frozen, and train."
            )}
          </p>
        </div>
      </div>
      {errors._form && (
        <div className="state state-error" role="alert" data-testid="error-form">
          {errors._form}
        </div>
      )}

      <div className="grid-2">
        <section className="card">
          <h2>1 · Data and model</h2>
          <label className="field">
            <span>Dataset</span>
            <select
              aria-label="Dataset"
              value={form.datasetId}
              onChange={(e) => setDataset(e.target.value)}
              aria-invalid={!!errors.datasetId}
            >
              {datasets.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name} v{d.version} · {d.task.replace("_CLASSIFICATION", "").toLowerCase()} · {fmtInt(d.numExamples)} examples
                </option>
              ))}
            </select>
            {dataset && (
              <small className="muted">
                {dataset.classNames.length} classes: {dataset.classNames.slice(0, 12).join(", ")}
                {dataset.classNames.length > 12 ? "…" : ""}
              </small>
            )}
            {err("datasetId")}
          </label>
          <label className="field">
            <span>Base model</span>
            <select
              aria-label="Base model"
              value={form.baseModelId}
              onChange={(e) => {
                update({ baseModelId: e.target.value, frozen: new Set() });
                clearError("baseModelId");
              }}
              aria-invalid={!!errors.baseModelId}
            >
              <option value="">None — train from scratch (baseline)</option>
              {compatible.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} v{m.version} ({m.kind === "BASE" ? "base" : "fine-tuned"}) · {fmtInt(m.layers.reduce((n, l) => n + l.params, 0))} params
                </option>
              ))}
            </select>
            {compatible.length === 0 && <small className="muted">No registered model fits this dataset&apos;s task; the run trains from scratch.</small>}
            {err("baseModelId")}
          </label>
          <label className="field">
            <span>Run name (optional)</span>
            <input aria-label="Run name" value={form.name} placeholder="generated when empty" onChange={(e) => update({ name: e.target.value })} />
            {err("name")}
          </label>
          <label className="field">
            <span>Tags (comma-separated)</span>
            <input aria-label="Tags" value={form.tags} placeholder="e.g. baseline, lr-sweep" onChange={(e) => update({ tags: e.target.value })} />
            {err("tags")}
          </label>
        </section>

        <section className="card">
          <h2>2 · Training configuration</h2>
          <div className="grid-fields">
            <NumField label="Learning rate" k="learningRate" value={form.learningRate} onChange={(v) => (update({ learningRate: v }), clearError("learningRate"))} error={err("learningRate")} step="any" />
            <NumField label="Epochs" k="epochs" value={form.epochs} onChange={(v) => (update({ epochs: v }), clearError("epochs"))} error={err("epochs")} />
            <NumField label="Batch size" k="batchSize" value={form.batchSize} onChange={(v) => (update({ batchSize: v }), clearError("batchSize"))} error={err("batchSize")} />
            <label className="field">
              <span>Optimizer</span>
              <select aria-label="Optimizer" value={form.optimizer} onChange={(e) => update({ optimizer: e.target.value as Optimizer })}>
                {OPTIMIZERS.map((o) => (
                  <option key={o} value={o}>
                    {o.toLowerCase()}
                  </option>
                ))}
              </select>
              {err("optimizer")}
            </label>
            <NumField label="Validation split" k="validationSplit" value={form.validationSplit} onChange={(v) => (update({ validationSplit: v }), clearError("validationSplit"))} error={err("validationSplit")} step="0.05" />
            <NumField label="Seed (optional)" k="seed" value={form.seed} placeholder="random" onChange={(v) => (update({ seed: v }), clearError("seed"))} error={err("seed")} />
          </div>
          <div className="field">
            <label className="check">
              <input type="checkbox" checked={form.earlyStopping} onChange={(e) => update({ earlyStopping: e.target.checked })} aria-label="Early stopping" />
              Early stopping on val_loss
            </label>
            {form.earlyStopping && (
              <NumField label="Patience (epochs)" k="earlyStoppingPatience" value={form.earlyStoppingPatience} onChange={(v) => (update({ earlyStoppingPatience: v }), clearError("earlyStoppingPatience"))} error={err("earlyStoppingPatience")} />
            )}
          </div>
          <fieldset className="field">
            <legend>Backends (most preferred first; none checked = any)</legend>
            <div className="chips">
              {BACKENDS.map((b) => {
                const pos = form.backends.indexOf(b);
                return (
                  <label key={b} className={`chip ${pos >= 0 ? "chip-on" : ""}`} title={workerBackends.has(b) ? "a worker serves this backend" : "no connected worker serves this backend"}>
                    <input type="checkbox" checked={pos >= 0} onChange={() => toggleBackend(b)} aria-label={`Backend ${b}`} />
                    {pos >= 0 ? `${pos + 1}. ` : ""}
                    {b}
                    {workerBackends.has(b) ? " ●" : ""}
                  </label>
                );
              })}
            </div>
            <small className="muted">
              {workers.length
                ? `Workers online: ${workers.map((w) => `${w.name} (${w.backend}, ${w.device})`).join("; ")}`
                : "No worker has registered yet; the run waits in the queue until one does."}
            </small>
            {err("backends")}
          </fieldset>
        </section>
      </div>

      <section className="card">
        <div className="section-head">
          <h2>3 · Layers to freeze</h2>
          {model && (
            <div className="param-counts" data-testid="param-counts" aria-live="polite">
              <span>
                Trainable <strong data-testid="trainable-params">{fmtInt(totalParams - frozenParams)}</strong>
              </span>
              <span>
                Frozen <strong data-testid="frozen-params">{fmtInt(frozenParams)}</strong>
              </span>
              <span className="muted">
                {form.frozen.size} of {layers.length} layers frozen
              </span>
              <div className="param-bar" aria-hidden>
                <div style={{ width: `${totalParams ? (100 * frozenParams) / totalParams : 0}%` }} />
              </div>
            </div>
          )}
        </div>
        {!model ? (
          <p className="muted">Training from scratch: the trainer builds a fresh model for this dataset, nothing is frozen.</p>
        ) : (
          <>
            <div className="inline freeze-controls">
              <label className="field inline">
                <span>Freeze up to layer</span>
                <select
                  aria-label="Freeze up to layer"
                  value=""
                  onChange={(e) => e.target.value !== "" && freezeUpTo(Number(e.target.value))}
                >
                  <option value="">choose…</option>
                  {layers.map((l) => (
                    <option key={l.index} value={l.index}>
                      {l.index}: {l.name}
                    </option>
                  ))}
                </select>
              </label>
              <button type="button" className="btn btn-small" onClick={() => update({ frozen: new Set() })}>
                Unfreeze all
              </button>
            </div>
            {err("freeze")}
            <table className="table compact" data-testid="layer-table">
              <thead>
                <tr>
                  <th className="col-check">Frozen</th>
                  <th className="num">#</th>
                  <th>Layer</th>
                  <th>Class</th>
                  <th>Output shape</th>
                  <th className="num">Params</th>
                </tr>
              </thead>
              <tbody>
                {layers.map((l) => (
                  <tr key={l.index} className={form.frozen.has(l.name) ? "frozen" : ""}>
                    <td className="col-check">
                      <input type="checkbox" aria-label={`Freeze ${l.name}`} checked={form.frozen.has(l.name)} onChange={() => toggleLayer(l.name)} />
                    </td>
                    <td className="num muted">{l.index}</td>
                    <td className="mono">{l.name}</td>
                    <td>{l.className}</td>
                    <td className="mono">[{(l.outputShape ?? []).map((d) => (d == null ? "None" : d)).join(", ")}]</td>
                    <td className="num">{fmtInt(l.params)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>

      <div className="form-actions">
        <button type="submit" className="btn btn-primary btn-large" disabled={launch.pending}>
          {launch.pending ? "Launching…" : "Launch run"}
        </button>
        <Link href="/runs" className="btn btn-ghost">
          Cancel
        </Link>
      </div>
    </form>
  );
}

function NumField(props: { label: string; k: string; value: string; onChange: (v: string) => void; error: React.ReactNode; step?: string; placeholder?: string }) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <input
        aria-label={props.label}
        inputMode="decimal"
        type="number"
        step={props.step ?? "1"}
        value={props.value}
        placeholder={props.placeholder}
        aria-invalid={!!props.error}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.error}
    </label>
  );
}
