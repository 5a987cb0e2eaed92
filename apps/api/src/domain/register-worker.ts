import { type Backend, type WorkerRow, workers } from "@tunelab/db";
import { eq } from "drizzle-orm";
import type { Context } from "../context";
import { badInput, unauthenticated } from "../errors";
import { storableText } from "./storable-text";
import { requireWorker } from "./lock-run";

export interface WorkerRegistrationModel {
  worker: WorkerRow;
  leaseSeconds: number;
  heartbeatSeconds: number;
}

function requireToken(ctx: Context): string {
  if (!ctx.workerTokenId) throw unauthenticated(ctx);
  return ctx.workerTokenId;
}

export async function registerWorker(
  ctx: Context,
  input: { name: string; backends: Backend[]; device: string; info?: unknown },
): Promise<WorkerRegistrationModel> {
  const tokenId = requireToken(ctx);
  const backends = [...new Set(input.backends)];
  if (backends.length === 0) throw badInput("backends must list at least one backend this worker can train with.");
  if (!input.name.trim() || input.name.length > 200) throw badInput("name must be 1 to 200 characters.");
  const info = input.info && typeof input.info === "object" && !Array.isArray(input.info) ? (input.info as Record<string, unknown>) : {};
  const [worker] = await ctx.handle.db
    .insert(workers)
    .values({ name: input.name.trim(), backend: backends[0]!, backends, device: storableText(input.device.slice(0, 500)), tokenId, info })
    .returning();
  ctx.log.info({ workerId: worker!.id, backends, device: worker!.device }, "worker registered");
  return { worker: worker!, leaseSeconds: ctx.env.leaseSeconds, heartbeatSeconds: ctx.env.heartbeatSeconds };
}

export async function unregisterWorker(ctx: Context, workerId: string): Promise<boolean> {
  return ctx.handle.db.transaction(async (tx) => {
    await requireWorker(tx, workerId, ctx.workerTokenId);
    await tx.update(workers).set({ stoppedAt: new Date(), currentRunId: null }).where(eq(workers.id, workerId));
    return true;
  });
}
