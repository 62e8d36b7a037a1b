import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ApiArgs, type EndpointKey, type ResponseOf } from './api.js';
import { signalLike } from './store.js';
import { errorText } from './error-words.js';

/** Set when any request finds the session gone; the shell then shows the login again. */
export const sessionLost = signalLike(false);

/** A failed request: a lost session returns to the login; the answer is what to tell the person, in words. */
export function reportError(err: unknown): string {
  if (err instanceof ApiError && err.status === 401) sessionLost.set(true);
  return errorText(err);
}

/** GET an endpoint; `reload()` fetches again (after a change). */
export function useApiData<K extends EndpointKey>(
  key: K,
  ...args: ApiArgs<K>
): { data: ResponseOf<K> | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<ResponseOf<K> | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [n, setN] = useState(0);
  const request = JSON.stringify(args[0] ?? {});
  useEffect(() => {
    let live = true;
    api(key, ...args).then(
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
    // The request is compared by its JSON: a new object with the same content fetches nothing new.
  }, [key, request, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, reload };
}
