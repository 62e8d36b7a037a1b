import type { ComponentChildren } from 'preact';

/** A labelled input with its validation message beside it (messages come from the server's schema). */
export function Field(p: {
  label: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  type?: string;
  error?: string | undefined;
  autocomplete?: string;
  hint?: string;
  attrs?: Record<string, string | number | undefined>;
}) {
  return (
    <label class={p.error ? 'field invalid' : 'field'}>
      <span class="field-label">{p.label}</span>
      <input
        name={p.name}
        type={p.type ?? 'text'}
        value={p.value}
        autocomplete={p.autocomplete ?? 'off'}
        onInput={(e) => p.onInput(e.currentTarget.value)}
        {...(p.attrs ?? {})}
      />
      {p.hint && <span class="field-hint">{p.hint}</span>}
      {p.error && (
        <span class="field-error" role="alert" data-testid={`error-${p.name}`}>
          {p.error}
        </span>
      )}
    </label>
  );
}

/** A choice among `options`; what it reports is always one of them. */
export function Select<T extends string>(p: {
  label: string;
  name: string;
  value: T;
  options: readonly T[];
  onChange: (v: T) => void;
  error?: string | undefined;
  render?: (o: T) => ComponentChildren;
}) {
  const pick = (value: string): void => {
    const o = p.options.find((x) => x === value);
    if (o !== undefined) p.onChange(o);
  };
  return (
    <label class={p.error ? 'field invalid' : 'field'}>
      <span class="field-label">{p.label}</span>
      <select name={p.name} value={p.value} onChange={(e) => pick(e.currentTarget.value)}>
        {p.options.map((o) => (
          <option value={o}>{p.render ? p.render(o) : o}</option>
        ))}
      </select>
      {p.error && (
        <span class="field-error" role="alert">
          {p.error}
        </span>
      )}
    </label>
  );
}

/** Map API issues (paths like `/body/id`) to field names. */
export function issuesByField(issues: { path: string; expected: string }[]): Record<string, string> {
  return Object.fromEntries(issues.map((i) => [i.path.replace(/^\/body\//, '').replace(/^\//, ''), i.expected]));
}
