import { useState } from 'preact/hooks';
import { w } from './words.js';

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** A range of days ending today, `days` long, that the page's filters can change. */
export function useDayRange(days: number): {
  from: string;
  to: string;
  setFrom: (d: string) => void;
  setTo: (d: string) => void;
} {
  const [to, setTo] = useState(dayOf(Date.now()));
  const [from, setFrom] = useState(dayOf(Date.now() - (days - 1) * 86_400_000));
  return { from, to, setFrom, setTo };
}

/** The from/to day pickers of a page's filters. */
export function DayRange({ range }: { range: ReturnType<typeof useDayRange> }) {
  return (
    <div class="filters">
      <label>
        {w('from')} <input type="date" value={range.from} onChange={(e) => range.setFrom(e.currentTarget.value)} />
      </label>
      <label>
        {w('to')} <input type="date" value={range.to} onChange={(e) => range.setTo(e.currentTarget.value)} />
      </label>
    </div>
  );
}
