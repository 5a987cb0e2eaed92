"use client";
import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { RunFilter, RunOrder, RunOrderField, RunRowFragment, RunStatus } from "@/gql/graphql";
import { useQuery, useSubscription } from "@/lib/api-context";
import { RunFilterOptionsQuery, RunsQuery, RunUpdatedSubscription } from "@/lib/documents";
import { bestOf, fmtDate, fmtNum, METRIC_KEYS, RUN_STATUSES } from "@/lib/format";
import { Empty, ErrorBox, Loading, StatusBadge } from "@/components/states";

const PAGE_SIZE = 50;
const MAX_COMPARE = 10;

type SortKey = "CREATED_AT" | "NAME" | "STATUS" | "METRIC";

function useUrlState() {
  const params = useSearchParams();
  const pathname = usePathname();
  const set = useCallback(
    (updates: Record<string, string | null>, resetPage = true) => {
      // Read and write the live URL synchronously (Next syncs useSearchParams with history.replaceState), so several
      // quick updates compose and no server round trip happens for a filter change.
      // A debounced update that fires after the user has left this page must not drag the URL back here.
      if (window.location.pathname !== pathname) return;
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(updates)) {
        if (v == null || v === "") next.delete(k);
        else next.set(k, v);
      }
      if (resetPage) next.delete("after");
      const qs = next.toString();
      window.history.replaceState(null, "", qs ? `${pathname}?${qs}` : pathname);
    },
    [pathname],
  );
  return { params, set };
}

export function RunsView() {
  const { params, set } = useUrlState();
  const urlStatus = params.get("status") ?? "";
  // Checkboxes answer at once; the URL (and the query) follow.
  const [statusSel, setStatusSel] = useState(urlStatus);
  useEffect(() => setStatusSel(urlStatus), [urlStatus]);
  const status = statusSel.split(",").filter(Boolean) as RunStatus[];
  const datasetId = params.get("dataset") ?? "";
  const baseModelId = params.get("model") ?? "";
  const tags = params.get("tags") ?? "";
  const q = params.get("q") ?? "";
  const metricKey = params.get("mkey") ?? "val_acc";
  const metricOp = (params.get("mop") ?? "gte") as "gt" | "gte" | "lt" | "lte";
  const metricValue = params.get("mval") ?? "";
  const sort = (params.get("sort") ?? "CREATED_AT") as SortKey;
  const dir = (params.get("dir") ?? "DESC") as "ASC" | "DESC";
  const after = params.get("after") ?? null;

  // Page history for "Previous": cursors of pages visited since the filters last changed.
  const [history, setHistory] = useState<(string | null)[]>([]);
  const [selected, setSelected] = useState<Map<string, string>>(new Map());
  const [nameInput, setNameInput] = useState(q);
  useEffect(() => setNameInput(q), [q]);
  useEffect(() => {
    if (nameInput === q) return;
    const t = setTimeout(() => set({ q: nameInput || null }), 300);
    return () => clearTimeout(t);
  }, [nameInput, q, set]);

  const filter = useMemo<RunFilter>(() => {
    const f: RunFilter = {};
    if (status.length) f.status = status;
    if (datasetId) f.datasetId = datasetId;
    if (baseModelId) f.baseModelId = baseModelId;
    const tagList = tags.split(",").map((t) => t.trim()).filter(Boolean);
    if (tagList.length) f.tagsAny = tagList;
    if (q) f.nameContains = q;
    const mv = Number(metricValue);
    if (metricValue !== "" && Number.isFinite(mv)) f.metric = [{ key: metricKey, [metricOp]: mv }];
    return f;
  }, [status.join(","), datasetId, baseModelId, tags, q, metricKey, metricOp, metricValue]);

  const orderBy = useMemo<RunOrder>(
    () => ({ field: sort as RunOrderField, direction: dir, ...(sort === "METRIC" ? { metricKey } : {}) }),
    [sort, dir, metricKey],
  );

  const vars = { filter, orderBy, first: PAGE_SIZE, after };
  const runs = useQuery(RunsQuery, vars);
  const options = useQuery(RunFilterOptionsQuery, {});

  // Live status: patch rows in place; a run we do not show yet triggers a (debounced) refetch of page 1.
  const [patched, setPatched] = useState<Map<string, RunRowFragment>>(new Map());
  useEffect(() => setPatched(new Map()), [runs.data]);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const rows = runs.data?.runs.edges.map((e) => patched.get(e.node.id) ?? e.node) ?? [];
  const rowIds = useMemo(() => new Set(runs.data?.runs.edges.map((e) => e.node.id)), [runs.data]);
  const refetch = runs.refetch;
  useSubscription(RunUpdatedSubscription, {}, (d) => {
    const run = d.runUpdated;
    if (rowIds.has(run.id)) {
      setPatched((m) => new Map(m).set(run.id, run));
      if (status.length && !status.includes(run.status)) schedule();
    } else if (!after && (status.length === 0 || status.includes(run.status))) {
      // Newest-first without a status filter: only a newly launched run can join page 1 (epochs of older runs cannot).
      if (sort !== "CREATED_AT" || dir !== "DESC" || status.length > 0 || run.status === "QUEUED") schedule();
    }
  });
  function schedule() {
    if (refetchTimer.current) return;
    refetchTimer.current = setTimeout(() => {
      refetchTimer.current = null;
      void refetch();
    }, 1000);
  }
  useEffect(() => () => void (refetchTimer.current && clearTimeout(refetchTimer.current)), []);

  const toggleSort = (key: SortKey, mk?: string) => {
    if (sort === key && (key !== "METRIC" || mk === metricKey)) set({ dir: dir === "ASC" ? "DESC" : "ASC" });
    else set({ sort: key, dir: key === "NAME" ? "ASC" : "DESC", ...(mk ? { mkey: mk } : {}) });
    setHistory([]);
  };
  const toggleStatus = (s: RunStatus) => {
    const next = status.includes(s) ? status.filter((x) => x !== s) : [...status, s];
    setStatusSel(next.join(","));
    set({ status: next.join(",") || null });
    setHistory([]);
  };
  const toggleSelect = (r: RunRowFragment) =>
    setSelected((m) => {
      const n = new Map(m);
      if (n.has(r.id)) n.delete(r.id);
      else if (n.size < MAX_COMPARE) n.set(r.id, r.name);
      return n;
    });

  const sortIndicator = (key: SortKey, mk?: string) =>
    sort === key && (key !== "METRIC" || mk === metricKey) ? (dir === "ASC" ? " ▲" : " ▼") : "";
  const ariaSort = (key: SortKey, mk?: string) =>
    sort === key && (key !== "METRIC" || mk === metricKey) ? (dir === "ASC" ? "ascending" : "descending") : "none";

  const total = runs.data?.runs.totalCount;
  const pageIndex = history.length;
  const anyFilter = Object.keys(filter).length > 0;
  const compareIds = [...selected.keys()];

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Runs</h1>
          <p className="muted">Every fine-tuning run, live. Select 2–{MAX_COMPARE} runs to compare them.</p>
        </div>
        <div className="actions">
          <Link
            className={`btn ${compareIds.length >= 2 ? "btn-primary" : "btn-disabled"}`}
            aria-disabled={compareIds.length < 2}
            href={compareIds.length >= 2 ? `/compare?ids=${compareIds.join(",")}` : "#"}
            onClick={(e) => compareIds.length < 2 && e.preventDefault()}
            data-testid="compare-selected"
          >
            Compare {compareIds.length ? `(${compareIds.length})` : ""}
          </Link>
          <Link className="btn btn-primary" href="/launch">
            + Launch run
          </Link>
        </div>
      </div>

      <section className="filters card" aria-label="Filters">
        <div className="filter-group" role="group" aria-label="Status">
          <span className="filter-label">Status</span>
          {RUN_STATUSES.map((s) => (
            <label key={s} className={`chip ${status.includes(s) ? "chip-on" : ""}`}>
              <input type="checkbox" checked={status.includes(s)} onChange={() => toggleStatus(s)} aria-label={`Status ${s}`} />
              {s.toLowerCase()}
            </label>
          ))}
        </div>
        <div className="filter-row">
          <label className="field">
            <span>Name</span>
            <input type="search" placeholder="contains…" value={nameInput} onChange={(e) => setNameInput(e.target.value)} aria-label="Name contains" />
          </label>
          <label className="field">
            <span>Dataset</span>
            <select aria-label="Dataset" value={datasetId} onChange={(e) => set({ dataset: e.target.value || null })}>
              <option value="">All datasets</option>
              {options.data?.datasets.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name} v{d.version}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Base model</span>
            <select aria-label="Base model" value={baseModelId} onChange={(e) => set({ model: e.target.value || null })}>
              <option value="">All base models</option>
              {options.data?.models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} v{m.version}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Tags (any)</span>
            <input
              placeholder="e.g. baseline, lr-sweep"
              defaultValue={tags}
              aria-label="Tags"
              onKeyDown={(e) => e.key === "Enter" && set({ tags: (e.target as HTMLInputElement).value || null })}
              onBlur={(e) => e.target.value !== tags && set({ tags: e.target.value || null })}
            />
          </label>
          <div className="field">
            <span>Metric threshold (best value)</span>
            <div className="inline">
              <select aria-label="Threshold metric" value={metricKey} onChange={(e) => set({ mkey: e.target.value })}>
                {METRIC_KEYS.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
              <select aria-label="Threshold operator" value={metricOp} onChange={(e) => set({ mop: e.target.value })}>
                <option value="gte">≥</option>
                <option value="gt">&gt;</option>
                <option value="lte">≤</option>
                <option value="lt">&lt;</option>
              </select>
              <input
                aria-label="Threshold value"
                type="number"
                step="any"
                placeholder="e.g. 0.9"
                defaultValue={metricValue}
                key={metricValue}
                className="narrow"
                onKeyDown={(e) => e.key === "Enter" && set({ mval: (e.target as HTMLInputElement).value || null })}
                onBlur={(e) => e.target.value !== metricValue && set({ mval: e.target.value || null })}
              />
            </div>
          </div>
          {anyFilter && (
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => {
                setNameInput("");
                set({ status: null, dataset: null, model: null, tags: null, q: null, mval: null });
              }}
            >
              Clear filters
            </button>
          )}
        </div>
      </section>

      {runs.error && <ErrorBox error={runs.error} retry={() => void runs.refetch()} />}
      {!runs.data && runs.loading && <Loading label="Loading runs…" />}
      {runs.data && rows.length === 0 && (
        <Empty title={anyFilter ? "No runs match these filters" : "No runs yet"}>
          {anyFilter ? "Loosen or clear the filters." : <Link href="/launch">Launch your first fine-tuning run →</Link>}
        </Empty>
      )}
      {runs.data && rows.length > 0 && (
        <div className={`card table-wrap ${runs.loading ? "is-refreshing" : ""}`}>
          <table className="table" data-testid="runs-table" aria-busy={runs.loading}>
            <thead>
              <tr>
                <th className="col-check" aria-label="Select" />
                <th aria-sort={ariaSort("NAME")}>
                  <button type="button" className="th-sort" onClick={() => toggleSort("NAME")}>
                    Name{sortIndicator("NAME")}
                  </button>
                </th>
                <th aria-sort={ariaSort("STATUS")}>
                  <button type="button" className="th-sort" onClick={() => toggleSort("STATUS")}>
                    Status{sortIndicator("STATUS")}
                  </button>
                </th>
                <th>Dataset</th>
                <th>Base model</th>
                <th className="num">Frozen</th>
                <th className="num">LR</th>
                <th className="num">Epochs</th>
                <th className="num" aria-sort={ariaSort("METRIC", "val_acc")}>
                  <button type="button" className="th-sort" onClick={() => toggleSort("METRIC", "val_acc")}>
                    Best val_acc{sortIndicator("METRIC", "val_acc")}
                  </button>
                </th>
                <th className="num" aria-sort={ariaSort("METRIC", "val_loss")}>
                  <button type="button" className="th-sort" onClick={() => toggleSort("METRIC", "val_loss")}>
                    Best val_loss{sortIndicator("METRIC", "val_loss")}
                  </button>
                </th>
                <th>Backend</th>
                <th aria-sort={ariaSort("CREATED_AT")}>
                  <button type="button" className="th-sort" onClick={() => toggleSort("CREATED_AT")}>
                    Created{sortIndicator("CREATED_AT")}
                  </button>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="run-row" data-run-id={r.id} className={selected.has(r.id) ? "selected" : ""}>
                  <td className="col-check">
                    <input
                      type="checkbox"
                      aria-label={`Select ${r.name}`}
                      checked={selected.has(r.id)}
                      disabled={!selected.has(r.id) && selected.size >= MAX_COMPARE}
                      onChange={() => toggleSelect(r)}
                    />
                  </td>
                  <td>
                    <Link href={`/runs/${r.id}`} className="run-link">
                      {r.name}
                    </Link>
                    {r.tags.length > 0 && (
                      <div className="tags">
                        {r.tags.map((t) => (
                          <span key={t} className="tag">
                            {t}
                          </span>
                        ))}
                      </div>
                    )}
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td data-testid="run-dataset">
                    {r.dataset.name} <span className="muted">v{r.dataset.version}</span>
                  </td>
                  <td>{r.baseModel ? `${r.baseModel.name} v${r.baseModel.version}` : <span className="muted">from scratch</span>}</td>
                  <td className="num">{r.frozenLayers.length}</td>
                  <td className="num">{fmtNum(r.config.learningRate)}</td>
                  <td className="num">{r.config.epochs}</td>
                  <td className="num strong">{bestOf(r.summary, "val_acc") == null ? <span className="muted">—</span> : fmtNum(bestOf(r.summary, "val_acc"))}</td>
                  <td className="num">{bestOf(r.summary, "val_loss") == null ? <span className="muted">—</span> : fmtNum(bestOf(r.summary, "val_loss"))}</td>
                  <td>{r.backend ?? <span className="muted">—</span>}</td>
                  <td className="nowrap">{fmtDate(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {runs.data && (
        <div className="pager">
          <span className="muted" data-testid="runs-total">
            {total?.toLocaleString("en-US")} run{total === 1 ? "" : "s"}
            {total && (pageIndex > 0 || !after) ? ` · page ${pageIndex + 1} of ${Math.max(1, Math.ceil(total / PAGE_SIZE))}` : ""}
          </span>
          <div className="actions">
            <button
              type="button"
              className="btn"
              disabled={pageIndex === 0 && !after}
              onClick={() => {
                // After a reload on a later page the way back is unknown: go to the first page.
                const prev = history[history.length - 1] ?? null;
                setHistory((h) => h.slice(0, -1));
                set({ after: prev }, false);
              }}
            >
              {pageIndex === 0 && after ? "← First page" : "← Previous"}
            </button>
            <button
              type="button"
              className="btn"
              disabled={!runs.data.runs.pageInfo.hasNextPage}
              onClick={() => {
                setHistory((h) => [...h, after]);
                set({ after: runs.data!.runs.pageInfo.endCursor }, false);
              }}
            >
              Next →
            </button>
          </div>
        </div>
      )}
      {selected.size > 0 && (
        <div className="selection-bar" role="region" aria-label="Selection">
          <span>
            {selected.size} selected{selected.size < 2 ? " — pick at least 2 to compare" : ""}
            {selected.size >= MAX_COMPARE ? ` (max ${MAX_COMPARE})` : ""}
          </span>
          <span className="muted ellipsis">{[...selected.values()].join(", ")}</span>
          <button type="button" className="btn btn-ghost" onClick={() => setSelected(new Map())}>
            Clear
          </button>
        </div>
      )}
    </div>
  );
}
