// Test helper: the stock cpu backend (fineTune never picks a backend; the caller does).
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";

export async function useCpu(): Promise<void> {
  tf.env().set("PROD", true); // no "install tfjs-node" banner noise checks
  await tf.setBackend("cpu");
  await tf.ready();
}

const enc = new TextEncoder();
export const bytes = (s: string) => enc.encode(s);

/** A tiny separable tabular CSV: 3 classes on 2 features. */
export function tinyTabularCsv(perClass = 10): string {
  const lines = ["x1,x2,label"];
  const centers: Record<string, [number, number]> = { a: [0, 0], b: [10, 0], c: [0, 10] };
  let k = 0;
  for (let i = 0; i < perClass; i++)
    for (const [label, [cx, cy]] of Object.entries(centers)) {
      k++;
      lines.push(`${cx + ((k * 7) % 5) / 5},${cy + ((k * 3) % 5) / 5},${label}`);
    }
  return lines.join("\n") + "\n";
}
