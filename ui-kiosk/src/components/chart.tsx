import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * Time-axis labels, 24-hour and month-day first in both languages (uPlot's own defaults are US:
 * "3pm", "12/3"): "14:30" within a day, "12-03 14:00" (or "12-03" at midnight) across days.
 */
export function axisTime(ms: number, windowMs: number): string {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (windowMs <= 86_400_000) return hm;
  const md = `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return d.getHours() === 0 && d.getMinutes() === 0 ? md : `${md} ${hm}`;
}

/**
 * A time-series chart (uPlot: small, fast on a low-power mini-PC, works offline). `points` are
 * [ms, value]; the x axis always shows the last `windowMs` up to now, however few points there are;
 * the chart follows its container's width.
 */
export function TimeChart({
  points,
  label,
  unit,
  windowMs,
  testId,
}: {
  points: [number, number][];
  label: string;
  unit: string;
  windowMs: number;
  testId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return undefined;
    const opts: uPlot.Options = {
      width: el.clientWidth || 600,
      height: 220,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true, range: () => [(Date.now() - windowMs) / 1000, Date.now() / 1000] } },
      axes: [
        {
          stroke: '#9fb3c8',
          grid: { stroke: '#243447' },
          font: '16px sans-serif',
          values: (_u, splits) => {
            const labels = splits.map((s) => axisTime(s * 1000, windowMs));
            // The axis is drawn on a canvas: the labels are also left on the element for tests and readers.
            el.dataset.xLabels = labels.join('|');
            return labels;
          },
        },
        {
          stroke: '#9fb3c8',
          grid: { stroke: '#243447' },
          font: '16px sans-serif',
          label: unit,
          labelFont: '16px sans-serif',
          size: 70,
        },
      ],
      series: [{}, { label, stroke: '#4fc3f7', width: 3, fill: 'rgba(79,195,247,0.12)' }],
    };
    plot.current = new uPlot(opts, [[], []], el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [label, unit, windowMs]);

  useEffect(() => {
    plot.current?.setData([points.map((p) => p[0] / 1000), points.map((p) => p[1])]);
  }, [points]);

  return <div class="chart" ref={host} data-testid={testId} data-points={points.length} />;
}
