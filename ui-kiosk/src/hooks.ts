import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { signalLike } from './store.js';

/** Set when any request finds the session gone; the shell then shows the login again. */
export const sessionLost = signalLike(false);

export function reportError(err: unknown): string {
  if (err instanceof ApiError && err.status === 401) sessionLost.set(true);
  return err instanceof Error ? err.message : String(err);
}

/** GET a path; `reload()` fetches again (after a change). */
export function useApiData<T>(path: string): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    api<T>('GET', path).then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
      },
      (err: unknown) => live && setError(reportError(err)),
    );
    return () => {
      live = false;
    };
  }, [path, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, reload };
}
