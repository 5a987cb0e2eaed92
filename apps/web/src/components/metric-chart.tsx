"use client";
import { useEffect, useMemo, useRef, useState } from "react";
import type uPlotType from "uplot";

export interface ChartPoint {
  step: number;
  value: number;
  min?: number;
  max?: number;
}

/** A series sent as columns (MetricColumns: one array per field, index i = point i) as the chart's points. */
export function pointsFromColumns(columns: { steps: number[]; values: number[]; mins: number[]; maxs: number[] } | undefined): ChartPoint[] {
  if (!columns) return [];
  return columns.steps.map((step, i) => ({ step, value: columns.values[i]!, min: columns.mins[i], max: columns.maxs[i] }));
}

export interface ChartSeries {
  label: string;
  color: string;
  points: ChartPoint[];
}

export const PALETTE = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#9333ea", "#475569"];

interface Props {
  title: string;
  series: ChartSeries[];
  testId?: string;
  height?: number;
  /** draw a min/max band under each series when its points were downsampled */
  bands?: boolean;
}

function buildData(series: ChartSeries[], bands: boolean) {
  const stepSet = new Set<number>();
  for (const s of series) for (const p of s.points) stepSet.add(p.step);
  const xs = [...stepSet].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const cols: (number | null)[][] = [];
  const bandPairs: [number, number, number][] = [];
  for (const s of series) {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of s.points) y[index.get(p.step)!] = p.value;
    cols.push(y);
  }
  if (bands) {
    series.forEach((s, i) => {
      if (!s.points.some((p) => p.min != null && p.max != null && p.min !== p.max)) return;
      const lo: (number | null)[] = new Array(xs.length).fill(null);
      const hi: (number | null)[] = new Array(xs.length).fill(null);
      for (const p of s.points) {
        const j = index.get(p.step)!;
        lo[j] = p.min ?? p.value;
        hi[j] = p.max ?? p.value;
      }
      const hiIdx = cols.length + 1;
      cols.push(hi, lo);
      bandPairs.push([hiIdx, hiIdx + 1, i]);
    });
  }
  return { data: [xs, ...cols] as uPlotType.AlignedData, bandPairs };
}

export function MetricChart({ title, series, testId, height = 220, bands = false }: Props) {
  const wrap = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlotType | null>(null);
  const shapeRef = useRef<string>("");
  const [lib, setLib] = useState<typeof uPlotType | null>(null);
  const totalPoints = series.reduce((n, s) => n + s.points.length, 0);
  const { data, bandPairs } = useMemo(() => buildData(series, bands), [series, bands]);
  const shape = JSON.stringify([series.map((s) => [s.label, s.color]), bandPairs]);

  useEffect(() => {
    let alive = true;
    void import("uplot").then((m) => alive && setLib(() => m.default));
    return () => {
      alive = false;
    };
  }, []);

  useEffect(() => {
    const el = wrap.current;
    if (!lib || !el) return;
    if (plot.current && shapeRef.current === shape) {
      plot.current.setData(data);
      return;
    }
    plot.current?.destroy();
    shapeRef.current = shape;
    const bandSeries: uPlotType.Series[] = [];
    const bandDefs: uPlotType.Band[] = [];
    for (const [hi, lo, ownerIdx] of bandPairs) {
      const owner = series[ownerIdx];
      const color = owner?.color ?? "#888";
      bandSeries.push({ label: `${owner?.label} max`, stroke: "transparent", points: { show: false }, legend: false } as uPlotType.Series);
      bandSeries.push({ label: `${owner?.label} min`, stroke: "transparent", points: { show: false }, legend: false } as uPlotType.Series);
      bandDefs.push({ series: [hi, lo], fill: `${color}22` });
    }
    const opts: uPlotType.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [
        {
          label: "epoch",
          stroke: "#64748b",
          grid: { stroke: "#eef2f7" },
          ticks: { stroke: "#e2e8f0" },
          // epochs are whole numbers
          incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000],
          values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : "")),
        },
        {
          stroke: "#64748b",
          grid: { stroke: "#eef2f7" },
          ticks: { stroke: "#e2e8f0" },
          size: 64,
          // As many decimals as the tick step needs (uPlot's default formatter stops at 3: 0.0015 showed as 0.002).
          values: (_u, splits, _axis, _space, incr) => {
            const step = Number(incr.toPrecision(6)).toString();
            const decimals = step.includes("e-") ? Number(step.split("e-")[1]) + 1 : (step.split(".")[1]?.length ?? 0);
            return splits.map((v) => v.toFixed(Math.min(decimals, 10)));
          },
        },
      ],
      series: [
        // Blank legend values until the cursor is over the plot (uPlot shows "--" otherwise).
        { label: "epoch", value: (_u: uPlotType, v: number | null) => (v == null ? "" : String(v)) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          spanGaps: true,
          value: (_u: uPlotType, v: number | null) => (v == null ? "" : Number(v.toPrecision(4)).toString()),
          points: { show: (u: uPlotType) => (u.data[0]?.length ?? 0) < 60, size: 5 },
        })),
        ...bandSeries,
      ],
      bands: bandDefs,
    };
    plot.current = new lib(opts, data, el);
  }, [lib, data, shape, bandPairs, series, height]);

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      if (plot.current) plot.current.setSize({ width: Math.max(200, el.clientWidth), height });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [height]);

  useEffect(() => () => plot.current?.destroy(), []);

  return (
    <figure className="chart" data-testid={testId} data-points={totalPoints} aria-label={`${title} chart, ${totalPoints} points`}>
      <figcaption className="chart-title">{title}</figcaption>
      {totalPoints === 0 && <div className="chart-empty">No data yet</div>}
      <div ref={wrap} className="chart-canvas" style={{ minHeight: height, display: totalPoints === 0 ? "none" : undefined }} />
    </figure>
  );
}
