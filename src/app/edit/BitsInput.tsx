/**
 * A bit-width field. Typing "16" must not first make a 1-bit model: the value is applied on Enter,
 * on leaving the field, or after a short pause; arrows and the spinner apply at once.
 */
import { useEffect, useRef, useState } from 'react';

export function BitsInput({ value, onApply, testId, min = 1, max = 32 }: { value: number | undefined; onApply: (bits: number) => void; testId?: string; min?: number; max?: number }) {
  const [draft, setDraft] = useState(value === undefined ? '' : String(value));
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => setDraft(value === undefined ? '' : String(value)), [value]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const apply = (text: string) => {
    clearTimeout(timer.current);
    const b = Number(text);
    if (Number.isInteger(b) && b >= min && b <= max && b !== value) onApply(b);
  };
  return (
    <input
      type="number"
      min={min}
      max={max}
      className="cell-input"
      value={draft}
      data-testid={testId}
      title={`Bit width (${min}-${max}); applied on Enter or after a pause`}
      onClick={(e) => e.stopPropagation()}
      onChange={(e) => {
        const t = e.target.value;
        setDraft(t);
        clearTimeout(timer.current);
        // the spinner and arrow keys fire input events of type insertReplacementText / none: apply at once
        const native = e.nativeEvent as InputEvent;
        if (!native.inputType) apply(t);
        else timer.current = setTimeout(() => apply(t), 600);
      }}
      onBlur={(e) => apply(e.target.value)}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Enter') apply((e.target as HTMLInputElement).value);
      }}
    />
  );
}
