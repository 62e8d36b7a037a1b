import { useEffect, useState } from 'preact/hooks';

/** A tiny observable value: the kiosk's shared state without a state-management library. */
export interface Observable<T> {
  get(): T;
  set(value: T): void;
  subscribe(fn: (value: T) => void): () => void;
}

export function signalLike<T>(initial: T): Observable<T> {
  let value = initial;
  const subs = new Set<(v: T) => void>();
  return {
    get: () => value,
    set: (v) => {
      value = v;
      for (const s of subs) s(v);
    },
    subscribe: (fn) => {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}

/** Re-render when an observable changes. */
export function useObservable<T>(o: Observable<T>): T {
  const [, setTick] = useState(0);
  useEffect(() => o.subscribe(() => setTick((n) => n + 1)), [o]);
  return o.get();
}
