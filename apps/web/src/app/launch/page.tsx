import { Suspense } from "react";
import { Loading } from "@/components/states";
import { LaunchForm } from "./launch-form";

export const metadata = { title: "Launch · Tunelab" };

export default function LaunchPage() {
  return (
    <Suspense fallback={<Loading label="Loading launch form…" />}>
      <LaunchForm />
    </Suspense>
  );
}
