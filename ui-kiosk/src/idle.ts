import { useEffect } from 'preact/hooks';

/** Call `onIdle` after `seconds` without a touch, click or key on the page (never while `seconds` is unknown). */
export function useIdle(seconds: number | undefined, onIdle: () => void, enabled: boolean): void {
  useEffect(() => {
    if (!enabled || seconds === undefined) return undefined;
    let timer = window.setTimeout(onIdle, seconds * 1000);
    const reset = (): void => {
      clearTimeout(timer);
      timer = window.setTimeout(onIdle, seconds * 1000);
    };
    const events = ['pointerdown', 'keydown', 'wheel'] as const;
    for (const e of events) window.addEventListener(e, reset, { passive: true });
    return () => {
      clearTimeout(timer);
      for (const e of events) window.removeEventListener(e, reset);
    };
  }, [seconds, onIdle, enabled]);
}
