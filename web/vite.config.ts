// The call handler's web app (React + the NHS.UK design system), built into web/dist and served by
// `slotbridge start` together with its JSON API (src/consumer/web.ts).
import react from '@vitejs/plugin-react';
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const dist = fileURLToPath(new URL('./dist', import.meta.url));

/** The design system's stylesheet refers to its icons as /assets/images/…: copy that folder beside our bundles. */
function nhsukAssets(): Plugin {
  return {
    name: 'nhsuk-assets',
    closeBundle() {
      cpSync(
        fileURLToPath(new URL('../node_modules/nhsuk-frontend/dist/nhsuk/assets', import.meta.url)),
        `${dist}/assets`,
        { recursive: true },
      );
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), nhsukAssets()],
  publicDir: false,
  // nhsuk-frontend keeps old-browser hacks (`@media screen\0`) that lightningcss cannot minify.
  build: { outDir: dist, emptyOutDir: true, sourcemap: false, cssMinify: false },
  logLevel: 'error',
});
