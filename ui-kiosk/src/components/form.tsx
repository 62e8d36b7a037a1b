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
        onInput={(e) => p.onInput((e.target as HTMLInputElement).value)}
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

export function Select(p: { label: string; name: string; value: string; options: readonly string[]; onChange: (v: string) => void; error?: string | undefined; render?: (o: string) => ComponentChildren }) {
  return (
    <label class={p.error ? 'field invalid' : 'field'}>
      <span class="field-label">{p.label}</span>
      <select name={p.name} value={p.value} onChange={(e) => p.onChange((e.target as HTMLSelectElement).value)}>
        {p.options.map((o) => (
          <option value={o}>{p.render ? p.render(o) : o}</option>
        ))}
      </select>
      {p.error && <span class="field-error" role="alert">{p.error}</span>}
    </label>
  );
}

/** Map API issues (paths like `/body/id`) to field names. */
export function issuesByField(issues: { path: string; expected: string }[]): Record<string, string> {
  return Object.fromEntries(issues.map((i) => [i.path.replace(/^\/body\//, '').replace(/^\//, ''), i.expected]));
}
