export function fmtNum(v: number | null | undefined, digits = 4): string {
  if (v == null || Number.isNaN(v)) return "—";
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return v.toExponential(2);
  return Number(v.toPrecision(digits)).toString();
}

export function fmtPct(v: number | null | undefined): string {
  if (v == null || Number.isNaN(v)) return "—";
  return `${(v * 100).toFixed(1)}%`;
}

export function fmtInt(v: number | null | undefined): string {
  return v == null ? "—" : Math.round(v).toLocaleString("en-US");
}

export function fmtBytes(v: number | null | undefined): string {
  if (v == null) return "—";
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  let n = v;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString("en-GB", { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

export function fmtDuration(fromIso: string | null | undefined, toIso?: string | null): string {
  if (!fromIso) return "—";
  const ms = (toIso ? new Date(toIso).getTime() : Date.now()) - new Date(fromIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return "<1s";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** acc-like metrics are better when high; loss-like when low. */
export function higherIsBetter(key: string): boolean {
  return !/loss|error|mae|mse/i.test(key);
}

export const METRIC_KEYS = ["loss", "acc", "val_loss", "val_acc"] as const;

export function bestOf(summary: { key: string; min: number; max: number }[], key: string): number | undefined {
  const s = summary.find((x) => x.key === key);
  if (!s) return undefined;
  return higherIsBetter(key) ? s.max : s.min;
}

export const RUN_STATUSES = ["QUEUED", "PREPARING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const;
export const BACKENDS = ["TENSORFLOW_GPU", "TENSORFLOW", "WEBGPU", "WASM", "CPU"] as const;
export const OPTIMIZERS = ["ADAM", "SGD", "MOMENTUM", "RMSPROP"] as const;
