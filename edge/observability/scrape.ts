import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { MountStatic } from '../api/server.js';
import { isLoopback } from '../security/login-throttle.js';
import type { ApplianceMetrics } from './metrics.js';

export type ScrapeVerdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

/**
 * Who may read /metrics: the appliance itself (loopback) always; from the network only a scraper
 * presenting `Authorization: Bearer <token>` whose SHA-256 is `metrics.scrapeTokenSha256`. Only the
 * digest is configured (the configuration is readable by admins and travels in backups), and the
 * digests are compared in constant time. No session: a district Prometheus has none, and an admin's
 * cookie must not be what a scraper holds.
 */
export function judgeScrape(req: IncomingMessage, tokenSha256: string): ScrapeVerdict {
  if (isLoopback(req.socket.remoteAddress ?? '')) return { ok: true };
  if (!tokenSha256)
    return {
      ok: false,
      status: 403,
      message:
        '/metrics is served to loopback only; set metrics.scrapeTokenSha256 to let a scraper in (docs/metrics.md)',
    };
  const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(req.headers.authorization ?? '');
  if (!m) return { ok: false, status: 401, message: '/metrics needs Authorization: Bearer <scrape token>' };
  const got = createHash('sha256')
    .update(m[1] as string)
    .digest();
  const want = Buffer.from(tokenSha256, 'hex');
  if (!timingSafeEqual(got, want)) return { ok: false, status: 401, message: 'wrong scrape token' };
  return { ok: true };
}

/** GET /metrics on the appliance's HTTP listeners (HTTPS on the LAN once http.tls is on). */
export function metricsMount(metrics: ApplianceMetrics, tokenSha256: string): MountStatic {
  return (app) => {
    app.get('/metrics', async (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      const v = judgeScrape(req, tokenSha256);
      if (!v.ok) {
        if (v.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="classedge metrics"');
        res.status(v.status).json({ error: v.status === 401 ? 'unauthenticated' : 'forbidden', message: v.message });
        return;
      }
      const text = await metrics.render();
      res.type(metrics.contentType).send(text);
    });
  };
}
