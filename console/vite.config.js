// Builds the console into the Python package (clarion/entrypoints/console/static), which
// the API serves at /console/. Asset names carry content hashes; nothing is fetched from
// outside at run time.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  build: {
    outDir: "../clarion/entrypoints/console/static",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
});
