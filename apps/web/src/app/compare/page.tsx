import { Suspense } from "react";
import { Loading } from "@/components/states";
import { CompareView } from "./compare-view";

export const metadata = { title: "Compare · Tunelab" };

export default function ComparePage() {
  return (
    <Suspense fallback={<Loading label="Loading comparison…" />}>
      <CompareView />
    </Suspense>
  );
}
