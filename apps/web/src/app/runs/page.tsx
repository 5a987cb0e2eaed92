import { Suspense } from "react";
import { Loading } from "@/components/states";
import { RunsView } from "./runs-view";

export const metadata = { title: "Runs · Tunelab" };

export default function RunsPage() {
  return (
    <Suspense fallback={<Loading label="Loading runs…" />}>
      <RunsView />
    </Suspense>
  );
}
