import { signalLike, useObservable } from './store.js';

/** Hash routes (`#/devices`): no server round trip, and the panel's back button stays ours. */
export const route = signalLike<string>(location.hash.replace(/^#/, '') || '/');
window.addEventListener('hashchange', () => route.set(location.hash.replace(/^#/, '') || '/'));

export function navigate(path: string): void {
  if (location.hash !== `#${path}`) location.hash = path;
  else route.set(path);
}

export function useRoute(): string {
  return useObservable(route);
}
