# syntax=docker/dockerfile:1.7
#
# Tunelab training worker image. Build from the repository root:
#
#   docker build -f infra/worker.Dockerfile --target gpu -t tunelab-worker:gpu .   # WEBGPU (Vulkan) + TENSORFLOW_GPU (CUDA 11.2)
#   docker build -f infra/worker.Dockerfile --target cpu -t tunelab-worker:cpu .   # WASM + CPU only
#
# Not built in this repository's CI (no Docker engine there): treat it as a reviewed recipe, not a tested artifact.

ARG NODE_VERSION=20.20.0
ARG PNPM_VERSION=12.4.2

# ---- build: install the worker's slice of the workspace and bundle it ----
FROM node:${NODE_VERSION}-bookworm-slim AS build
ARG PNPM_VERSION
RUN npm install -g pnpm@${PNPM_VERSION}
WORKDIR /src
COPY package.json pnpm-workspace.yaml pnpm-lock.yaml .npmrc turbo.json ./
COPY packages/tsconfig packages/tsconfig
COPY packages/eslint-config packages/eslint-config
COPY packages/trainer packages/trainer
COPY packages/db/package.json packages/db/package.json
COPY apps/worker apps/worker
# Only the worker and what it depends on; native builds stay denied (allowBuilds) so this works offline too.
RUN pnpm install --frozen-lockfile --filter "@tunelab/worker..." \
 && pnpm --filter @tunelab/worker build

# ---- cpu: WASM and CPU backends ----
FROM node:${NODE_VERSION}-bookworm-slim AS cpu
WORKDIR /app
COPY --from=build /src /app
ENV NODE_ENV=production DATA_DIR=/data WORKER_CACHE_DIR=/cache
RUN mkdir -p /data /cache && chown node:node /data /cache
USER node
STOPSIGNAL SIGTERM
# The worker's Node flags: apps/worker/src/node-flags.ts (one V8 helper thread beside training, a larger nursery).
ENTRYPOINT ["node", "--v8-pool-size=1", "--max-semi-space-size=64", "/app/apps/worker/dist/tunelab-worker.mjs"]

# ---- gpu: CUDA 11.2 + cuDNN 8.1 for tfjs-node-gpu, Vulkan loader for WEBGPU (Dawn) ----
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04 AS gpu
ARG NODE_VERSION
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl xz-utils libvulkan1 vulkan-tools \
 && curl -fsSL "https://nodejs.org/dist/v${NODE_VERSION}/node-v${NODE_VERSION}-linux-x64.tar.xz" | tar -xJ -C /usr/local --strip-components=1 \
 && apt-get purge -y curl xz-utils && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src /app
# Build the tfjs-node-gpu binding here (the build stage denied its install script): downloads libtensorflow-gpu 2.9.1
# and the prebuilt N-API addon. Without internet at build time, point TFJS_NODE_BASE_URI at a mirror.
ARG TFJS_NODE_BASE_URI=
RUN cd "$(dirname "$(node -p "require.resolve('@tensorflow/tfjs-node-gpu/package.json', {paths: ['/app/apps/worker']})")")" \
 && TFJS_NODE_BASE_URI="${TFJS_NODE_BASE_URI}" node scripts/install.js gpu download
# The NVIDIA Container Toolkit mounts the driver's Vulkan ICD only with the graphics capability.
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics \
    NODE_ENV=production DATA_DIR=/data WORKER_CACHE_DIR=/cache
RUN useradd --create-home --uid 1000 worker && mkdir -p /data /cache && chown worker:worker /data /cache
USER worker
STOPSIGNAL SIGTERM
# The worker's Node flags: apps/worker/src/node-flags.ts (one V8 helper thread beside training, a larger nursery).
ENTRYPOINT ["node", "--v8-pool-size=1", "--max-semi-space-size=64", "/app/apps/worker/dist/tunelab-worker.mjs"]
