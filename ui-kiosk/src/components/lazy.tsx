import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ScreenDef } from '../screens/registry.js';

const loaded = new Map<string, ComponentType>();

/** Render a screen, loading its chunk on first use and remembering it after. */
export function ScreenView({ screen }: { screen: ScreenDef }) {
  const [C, setC] = useState<ComponentType | undefined>(() => loaded.get(screen.id));
  useEffect(() => {
    const hit = loaded.get(screen.id);
    if (hit) {
      setC(() => hit);
      return;
    }
    setC(undefined);
    // A slower chunk of a screen the user already left must not replace the current one.
    let current = true;
    void screen.load().then((c) => {
      loaded.set(screen.id, c);
      if (current) setC(() => c);
    });
    return () => {
      current = false;
    };
  }, [screen]);
  return C ? <C /> : <div class="loading" aria-busy="true" />;
}
