import { useEffect } from 'preact/hooks';
import { signalLike, useObservable } from '../store.js';

interface Notice {
  text: string;
  kind: 'ok' | 'error';
  at: number;
}

const current = signalLike<Notice | undefined>(undefined);

/** Say what an action did ("大屏已关闭", "已保存病假"), for a few seconds, where the teacher looks. */
export function notify(text: string, kind: 'ok' | 'error' = 'ok'): void {
  current.set({ text, kind, at: Date.now() });
}

/** The one place notices appear: under the top bar, announced to screen readers. */
export function NoticeBar() {
  const n = useObservable(current);
  useEffect(() => {
    if (!n) return undefined;
    const id = window.setTimeout(
      () => {
        if (current.get() === n) current.set(undefined);
      },
      n.kind === 'error' ? 10_000 : 5000,
    );
    return () => clearTimeout(id);
  }, [n]);
  if (!n) return null;
  return (
    <div class={`banner notice ${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'} data-testid="notice">
      {n.text}
    </div>
  );
}
