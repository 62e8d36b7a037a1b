import { defineConfig } from 'vite';

// Built during install (`vite build ui-kiosk` from npm run build); served by the appliance from
// ui-kiosk/dist. No CDN, no font or icon download: everything the panel shows is in the bundle.
export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
