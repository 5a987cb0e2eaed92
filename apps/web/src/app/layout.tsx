import type { Metadata } from "next";
import { connection } from "next/server";
import { readEnv } from "@/env";
import { ApiProvider } from "@/lib/api-context";
import { Nav } from "@/components/nav";
import "uplot/dist/uPlot.min.css";
import "./globals.css";

export const metadata: Metadata = {
  title: "Tunelab",
  description: "Launch, watch, compare and search fine-tuning runs",
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Render per request so API_URL is read at run time, not baked in at build time.
  await connection();
  const { apiUrl } = readEnv();
  return (
    <html lang="en">
      <body data-api-url={apiUrl}>
        <ApiProvider apiUrl={apiUrl}>
          <Nav />
          <main className="main">{children}</main>
        </ApiProvider>
      </body>
    </html>
  );
}
