import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n.js';

/**
 * A button for something that cannot be taken back with one tap (panel off, 下课, 结束远程课): the
 * first tap asks, in words, what will happen; 确定 does it, 取消 or 8 seconds without an answer
 * leaves things as they were. Touch panels get accidental taps; a dialog box of the browser would be
 * small and English in kiosk mode.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  testid,
  className = 'btn danger big',
  disabled,
}: {
  label: ComponentChildren;
  question: string;
  confirmLabel?: string;
  onConfirm: () => void;
  testid: string;
  className?: string;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  useEffect(() => {
    if (!asking) return undefined;
    const id = window.setTimeout(() => setAsking(false), 8000);
    return () => clearTimeout(id);
  }, [asking]);
  if (!asking)
    return (
      <button type="button" class={className} data-testid={testid} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  return (
    <span class="confirm" role="alertdialog" aria-label={question} data-testid={`${testid}-confirm`}>
      <span class="confirm-question">{question}</span>
      <button
        type="button"
        class="btn danger big"
        data-testid={`${testid}-yes`}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel ?? t('common.confirm')}
      </button>
      <button type="button" class="btn big" data-testid={`${testid}-no`} onClick={() => setAsking(false)}>
        {t('common.cancel')}
      </button>
    </span>
  );
}
