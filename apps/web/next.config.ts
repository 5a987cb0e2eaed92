import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The API URL is read at request time (API_URL), never inlined at build time.
};
export default nextConfig;
