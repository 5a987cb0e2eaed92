"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useWsState } from "@/lib/api-context";

const LINKS = [
  { href: "/runs", label: "Runs" },
  { href: "/launch", label: "Launch" },
  { href: "/compare", label: "Compare" },
  { href: "/models", label: "Models" },
  { href: "/datasets", label: "Datasets" },
];

export function Nav() {
  const path = usePathname();
  const ws = useWsState();
  return (
    <header className="topbar">
      <Link href="/runs" className="brand">
        <span className="brand-mark">◆</span> Tunelab
      </Link>
      <nav aria-label="Main">
        {LINKS.map((l) => {
          const active = path === l.href || (l.href === "/runs" && path.startsWith("/runs/"));
          return (
            <Link key={l.href} href={l.href} className={active ? "nav-link active" : "nav-link"} aria-current={active ? "page" : undefined}>
              {l.label}
            </Link>
          );
        })}
      </nav>
      <span className={`ws-state ws-${ws}`} data-testid="ws-state" title="Live updates over WebSocket">
        <span className="dot" /> {ws === "connected" ? "Live" : ws === "reconnecting" ? "Reconnecting…" : "Connecting…"}
      </span>
    </header>
  );
}
