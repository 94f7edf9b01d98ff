/**
 * A bit-width field. Typing "16" must not first make a 1-bit model: the value is applied on Enter,
 * on leaving the field, or after a short pause; arrows and the spinner apply at once. A value the
 * quantizer cannot take (0, 33, 2.5, or any value where the graph computes the width) puts the field
 * back to the current width and says why next to it.
 */
import { useEffect, useRef, useState } from 'react';
import { MAX_BITS, MIN_BITS } from '../../core/ir/bulkQuantEdit.js';

export function BitsInput({
  value,
  onApply,
  check,
  testId,
  placeholder,
  title,
  errorAt = 'right',
  min = MIN_BITS,
  max = MAX_BITS,
}: {
  value: number | undefined;
  onApply: (bits: number) => void;
  /** why this width cannot be applied (undefined when it can) */
  check?: (bits: number) => string | undefined;
  testId?: string;
  /** shown when there is no value (e.g. 'computed') */
  placeholder?: string;
  title?: string;
  /** where the reason for a refused value shows, next to the field */
  errorAt?: 'left' | 'right' | 'below';
  min?: number;
  max?: number;
}) {
  const [draft, setDraft] = useState(value === undefined ? '' : String(value));
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => setDraft(value === undefined ? '' : String(value)), [value]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const reject = (why: string) => {
    setDraft(value === undefined ? '' : String(value));
    setError(why);
  };
  const apply = (text: string, final: boolean) => {
    clearTimeout(timer.current);
    if (text.trim() === '') {
      // half-typed ("-", "") while typing: wait; on Enter or leaving the field: back to the current width
      if (final) setDraft(value === undefined ? '' : String(value));
      return;
    }
    const b = Number(text);
    if (!Number.isInteger(b)) return reject(`${text} is not a whole number of bits`);
    if (b < min || b > max) return reject(`${b} bits is outside ${min}..${max}`);
    if (b === value) return;
    const why = check?.(b);
    if (why) return reject(why);
    setError(null);
    onApply(b);
  };
  return (
    <span className={`bits-field error-${errorAt}`}>
      <input
        type="number"
        min={min}
        max={max}
        className={`cell-input${error ? ' is-invalid' : ''}`}
        value={draft}
        placeholder={placeholder}
        data-testid={testId}
        aria-invalid={!!error}
        title={title ?? `Bit width (${min}-${max}); applied on Enter or after a pause`}
        onClick={(e) => e.stopPropagation()}
        onChange={(e) => {
          const t = e.target.value;
          setDraft(t);
          setError(null);
          clearTimeout(timer.current);
          // the spinner and arrow keys fire input events of type insertReplacementText / none: apply at once
          const native = e.nativeEvent as InputEvent;
          if (!native.inputType) apply(t, true);
          else timer.current = setTimeout(() => apply(t, false), 600);
        }}
        onBlur={(e) => apply(e.target.value, true)}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Enter') apply((e.target as HTMLInputElement).value, true);
        }}
      />
      {error && (
        <span className="bits-error" role="alert" data-testid={testId ? `${testId}-error` : undefined}>
          {error}
        </span>
      )}
    </span>
  );
}
