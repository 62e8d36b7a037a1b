import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { MountStatic } from './server.js';

/** The built kiosk bundle (ui-kiosk/dist, made by `npm run build`). */
export const KIOSK_DIST = fileURLToPath(new URL('../../../ui-kiosk/dist/', import.meta.url));

/**
 * Serve the teacher panel at `/`, the admin console at `/admin` and the remote-lesson viewer page
 * at `/join`, all from one bundle. Hashed
 * assets are cached for good; index.html never is, so an update shows at the next load.
 */
export function kioskMount(dist = KIOSK_DIST): MountStatic {
  return (app) => {
    if (!existsSync(`${dist}index.html`)) {
      app.get(['/', '/admin'], (_req, res) => {
        res.status(503).type('text/plain').send('The kiosk is not built. Run: npm run build');
      });
      return;
    }
    app.use(
      '/assets',
      express.static(`${dist}assets`, { immutable: true, maxAge: '365d', index: false, fallthrough: false }),
    );
    // The same build holds the district console's page: that belongs to classedge-district, not here.
    app.get('/district.html', (_req, res) => void res.status(404).type('text/plain').send('Not found'));
    app.use(express.static(dist, { index: false, maxAge: '1h' }));
    app.get(['/', '/admin', '/join'], (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(`${dist}index.html`);
    });
  };
}
