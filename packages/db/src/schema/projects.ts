import { type InferInsertModel, type InferSelectModel } from "drizzle-orm";
import { pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";

export const projects = pgTable("projects", { id: id(), name: text("name").notNull(), createdAt: createdAt() }, (t) => [
  uniqueIndex("projects_name_key").on(t.name),
]);

export type ProjectRow = InferSelectModel<typeof projects>;
export type NewProjectRow = InferInsertModel<typeof projects>;
