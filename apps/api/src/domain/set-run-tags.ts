import { type RunRow, runs } from "@tunelab/db";
import { eq } from "drizzle-orm";
import type { Context } from "../context";
import { badInput } from "../errors";
import { notifyRun } from "../pubsub";
import { normalizeTags } from "./launch-run";
import { lockRun } from "./lock-run";

/** Replaces a run's tags (any status). */
export async function setRunTags(ctx: Context, id: string, tags: string[]): Promise<RunRow> {
  const problems: { field: string; message: string }[] = [];
  const clean = normalizeTags(tags, problems);
  if (problems.length) throw badInput(problems.map((p) => p.message).join(" "), { fields: problems });
  return ctx.handle.db.transaction(async (tx) => {
    const run = await lockRun(tx, id);
    const [updated] = await tx.update(runs).set({ tags: clean }).where(eq(runs.id, run.id)).returning();
    await notifyRun(tx, run, [], true);
    return updated!;
  });
}
