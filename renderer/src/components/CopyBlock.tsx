import { useState } from 'react';

/** A snippet with a Copy button; the text stays selectable where the clipboard is refused. */
export function CopyBlock({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = () =>
    navigator.clipboard.writeText(text).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  return (
    <div className="copy-block" data-testid={testId}>
      <div className="copy-head">
        <span className="copy-label">{label}</span>
        <button type="button" onClick={() => void copy()} aria-label={`Copy ${label}`}>
          {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Select and copy' : 'Copy'}
        </button>
      </div>
      <pre>
        <code>{text}</code>
      </pre>
    </div>
  );
}
