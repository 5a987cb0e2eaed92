"use client";
import Link from "next/link";
import { useState } from "react";
import type { ModelsQuery as ModelsResult } from "@/gql/graphql";
import { useApiUrl, useQuery } from "@/lib/api-context";
import { ModelsQuery } from "@/lib/documents";
import { absoluteUrl } from "@/lib/graphql";
import { fmtBytes, fmtDate, fmtInt } from "@/lib/format";
import { Empty, ErrorBox, Loading, StatusBadge } from "@/components/states";

type M = ModelsResult["models"][number];

export function ModelsView() {
  const q = useQuery(ModelsQuery, {});
  const [kind, setKind] = useState<"ALL" | "BASE" | "FINE_TUNED">("ALL");
  const apiUrl = useApiUrl();

  if (q.error) return <ErrorBox error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return <Loading label="Loading models…" />;
  const models = q.data.models;
  const ids = new Set(models.map((m) => m.id));
  const children = new Map<string, M[]>();
  for (const m of models) {
    if (m.parent && ids.has(m.parent.id)) children.set(m.parent.id, [...(children.get(m.parent.id) ?? []), m]);
  }
  const roots = models.filter((m) => !m.parent || !ids.has(m.parent.id));
  const baseCount = models.filter((m) => m.kind === "BASE").length;

  const rows: { m: M; depth: number }[] = [];
  const walk = (m: M, depth: number) => {
    rows.push({ m, depth });
    for (const c of (children.get(m.id) ?? []).sort((a, b) => b.createdAt.localeCompare(a.createdAt))) walk(c, depth + 1);
  };
  for (const r of roots.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) || b.version - a.version : a.kind === "BASE" ? -1 : 1))) walk(r, 0);
  const shown = kind === "ALL" ? rows : rows.filter((r) => r.m.kind === kind).map((r) => ({ ...r, depth: 0 }));

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Models</h1>
          <p className="muted">
            The registry: {baseCount} base model{baseCount === 1 ? "" : "s"} and {models.length - baseCount} fine-tuned. Lineage reads base → fine-tuned → the run that produced it.
          </p>
        </div>
        <div className="segmented" role="group" aria-label="Kind">
          {(["ALL", "BASE", "FINE_TUNED"] as const).map((k) => (
            <button key={k} type="button" className={kind === k ? "on" : ""} aria-pressed={kind === k} onClick={() => setKind(k)}>
              {k === "ALL" ? "All" : k === "BASE" ? "Base" : "Fine-tuned"}
            </button>
          ))}
        </div>
      </div>
      {shown.length === 0 ? (
        <Empty title={models.length ? "No models of this kind" : "No models registered yet"}>
          Fine-tuned models appear here when a run succeeds. <Link href="/launch">Launch a run</Link>
        </Empty>
      ) : (
        <div className="card table-wrap">
          <table className="table" data-testid="models-table">
            <thead>
              <tr>
                <th>Model</th>
                <th>Kind</th>
                <th>Task</th>
                <th className="num">Params</th>
                <th>Classes</th>
                <th>Source run</th>
                <th>Created</th>
                <th>Artifact</th>
              </tr>
            </thead>
            <tbody>
              {shown.map(({ m, depth }) => (
                <tr key={m.id} data-testid="model-row" data-kind={m.kind}>
                  <td>
                    <div className="lineage" style={{ paddingLeft: depth * 22 }}>
                      {depth > 0 && <span className="lineage-arrow" aria-hidden>↳</span>}
                      <strong>{m.name}</strong> <span className="muted">v{m.version}</span>
                    </div>
                    {m.parent && (
                      <div className="muted small" style={{ paddingLeft: depth * 22 }}>
                        from {m.parent.name} v{m.parent.version}
                      </div>
                    )}
                    {m.description && <div className="muted small">{m.description}</div>}
                  </td>
                  <td>
                    <span className={`tag ${m.kind === "BASE" ? "tag-base" : "tag-ft"}`}>{m.kind === "BASE" ? "base" : "fine-tuned"}</span>
                  </td>
                  <td>{m.task.replace("_CLASSIFICATION", "").toLowerCase()}</td>
                  <td className="num">{fmtInt(m.totalParams)}</td>
                  <td title={m.classNames.join(", ")}>
                    <span className="ellipsis">
                      {m.classNames.length}: {m.classNames.slice(0, 5).join(", ")}
                      {m.classNames.length > 5 ? "…" : ""}
                    </span>
                  </td>
                  <td>
                    {m.sourceRun ? (
                      <>
                        <Link href={`/runs/${m.sourceRun.id}`}>{m.sourceRun.name}</Link> <StatusBadge status={m.sourceRun.status} />
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="nowrap">{fmtDate(m.createdAt)}</td>
                  <td className="nowrap">
                    <a href={absoluteUrl(apiUrl, m.artifact.downloadUrl)} download title={`sha256 ${m.artifact.sha256}`}>
                      Download
                    </a>{" "}
                    <span className="muted">{fmtBytes(m.artifact.sizeBytes)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
