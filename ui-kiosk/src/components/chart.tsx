import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

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
        { stroke: '#9fb3c8', grid: { stroke: '#243447' }, font: '16px sans-serif' },
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
