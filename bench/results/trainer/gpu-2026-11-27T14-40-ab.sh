#!/bin/bash
# ABBA: old (9eaa4cb) / new (HEAD) GPU benchmark bundles, alternately, on one machine. Run from the repository root.
set -u
GL=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/ab-out}; mkdir -p "$OUT"
exec > >(tee "$OUT/ab.log") 2>&1
T0=$(date +%s)
for f in "$GL"/*.deb; do dpkg -x "$f" /; done; ldconfig
[ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -e "$GL/dist/linux-x64/dawn.node" ] || gunzip -c "$GL/dist/linux-x64/dawn.node.gz" > "$GL/dist/linux-x64/dawn.node"
# The same Node (the bundle machine's v20) for both bundles, whatever the device has.
gunzip -c "$GL/node.gz" > /tmp/tunelab-node && chmod +x /tmp/tunelab-node; NODE=/tmp/tunelab-node
echo "setup $(( $(date +%s) - T0 )) s; node $($NODE -v) (device node: $(command -v node || echo none)); python3 $(python3 -c 'import torch,sys;print(sys.version.split()[0],"torch",torch.__version__,torch.cuda.is_available())' 2>&1 | tail -1)"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv 2>&1
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo) x$(nproc); kernel $(uname -r); load $(cat /proc/loadavg)"
pass=0
for which in old new new old; do
  pass=$((pass+1))
  if [ $which = old ]; then b="$GL/tunelab-gpu-bench-old-9eaa4cb.mjs"; tag=old-9eaa4cb; else b="$GL/tunelab-gpu-bench.mjs"; tag=new-567592f; fi
  d=/tmp/ab/p$pass; rm -rf "$d"; mkdir -p "$d"
  echo "=== pass $pass $tag start $(( $(date +%s) - T0 )) s, load $(cut -d' ' -f1-3 /proc/loadavg)"
  s=$(date +%s)
  (cd "$GL" && timeout 150 "$NODE" "$b" --steps 60 --chunks 2048 --breakdown --no-doc --no-transfer --out "$d")
  echo "pass $pass exit $? in $(( $(date +%s) - s )) s"
  j=$(ls "$d"/gpu-*.json 2>/dev/null | head -1)
  if [ -n "$j" ]; then cp "$j" "$OUT/ab-p$pass-$tag-$(basename "$j")"; "$NODE" "$GL/ab-summary.mjs" "$j" "pass $pass $tag"; else echo "pass $pass: no JSON"; fi
done
echo "=== all passes $(( $(date +%s) - T0 )) s"
grep '^SUMMARY' "$OUT/ab.log"
