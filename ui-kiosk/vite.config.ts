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
    // Two pages: the appliance's (index.html: panel, admin console, viewer) and the district
    // console's (district.html, served by classedge-district serve --console-port).
    rollupOptions: {
      input: {
        main: decodeURIComponent(new URL('./index.html', import.meta.url).pathname),
        district: decodeURIComponent(new URL('./district.html', import.meta.url).pathname),
      },
    },
  },
  logLevel: 'warn',
});
