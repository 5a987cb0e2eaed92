/** Bundles a Node entry of the workspace into one ES module at `outfile` (see bundle.mjs). */
export function bundleNodeEntry(entry: string, outfile: string): Promise<void>;
