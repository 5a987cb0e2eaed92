import { ModelsView } from "./models-view";

export const metadata = { title: "Models · Tunelab" };

export default function ModelsPage() {
  return <ModelsView />;
}
