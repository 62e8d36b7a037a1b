import { t } from '../i18n.js';

/** A numeric pad with big keys, for a PIN typed on a wall-mounted panel from arm's length. */
export function PinPad({
  value,
  length,
  onChange,
  onSubmit,
}: {
  value: string;
  length: number;
  onChange: (v: string) => void;
  onSubmit: () => void;
}) {
  const press = (d: string) => {
    if (value.length < length) onChange(value + d);
  };
  return (
    <div class="pinpad">
      <div class="pin-dots" aria-label={t('login.enterPin')} data-testid="pin-dots">
        {Array.from({ length }, (_, i) => (
          <span class={i < value.length ? 'dot filled' : 'dot'} />
        ))}
      </div>
      <div class="pin-keys">
        {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => (
          <button type="button" class="key" data-testid={`pin-${d}`} onClick={() => press(d)}>
            {d}
          </button>
        ))}
        <button type="button" class="key secondary" data-testid="pin-clear" onClick={() => onChange('')}>
          {t('login.clear')}
        </button>
        <button type="button" class="key" data-testid="pin-0" onClick={() => press('0')}>
          0
        </button>
        <button
          type="button"
          class="key secondary"
          data-testid="pin-backspace"
          aria-label={t('login.backspace')}
          disabled={value.length === 0}
          onClick={() => onChange(value.slice(0, -1))}
        >
          ⌫ {t('login.backspace')}
        </button>
        <button
          type="button"
          class="key primary wide"
          data-testid="pin-ok"
          disabled={value.length !== length}
          onClick={onSubmit}
        >
          {t('login.ok')}
        </button>
      </div>
    </div>
  );
}
