import { DatasetsView } from "./datasets-view";

export const metadata = { title: "Datasets · Tunelab" };

export default function DatasetsPage() {
  return <DatasetsView />;
}
