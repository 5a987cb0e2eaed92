import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { ServerResponse } from "node:http";

const require = createRequire(import.meta.url);

/** GraphiQL and React served from node_modules (UMD builds): the page works with no internet. */
const pkgDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
const ASSETS: Record<string, { file: string; type: string }> = {
  "react.js": { file: path.join(pkgDir("react"), "umd/react.production.min.js"), type: "text/javascript" },
  "react-dom.js": { file: path.join(pkgDir("react-dom"), "umd/react-dom.production.min.js"), type: "text/javascript" },
  "graphiql.js": { file: path.join(pkgDir("graphiql"), "graphiql.min.js"), type: "text/javascript" },
  "graphiql.css": { file: path.join(pkgDir("graphiql"), "graphiql.min.css"), type: "text/css" },
};

export function graphiqlPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<title>Tunelab GraphiQL</title>
<link rel="stylesheet" href="/graphiql/assets/graphiql.css" />
<style>html,body,#graphiql{height:100%;margin:0}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="/graphiql/assets/react.js"></script>
<script src="/graphiql/assets/react-dom.js"></script>
<script src="/graphiql/assets/graphiql.js"></script>
<script>
  const http = location.origin + "/graphql";
  const ws = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql";
  const fetcher = GraphiQL.createFetcher({ url: http, subscriptionUrl: ws });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: "query Runs {\\n  runs(first: 10) {\\n    totalCount\\n    edges { node { id name status dataset { name } baseModel { name } summary { key last } } }\\n  }\\n}\\n",
    }),
  );
</script>
</body>
</html>`;
}

export function serveGraphiqlAsset(name: string, res: ServerResponse): boolean {
  const asset = ASSETS[name];
  if (!asset) return false;
  res.writeHead(200, { "content-type": `${asset.type}; charset=utf-8`, "cache-control": "public, max-age=3600" });
  createReadStream(asset.file).pipe(res);
  return true;
}
