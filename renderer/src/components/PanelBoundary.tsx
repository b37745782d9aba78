import { Component } from 'react';
import type { ErrorInfo, ReactNode } from 'react';

interface Props {
  /** Names the panel in the fallback, so "Loss chart failed" says which part broke. */
  label: string;
  children: ReactNode;
}

interface State {
  error: Error | null;
}

/**
 * One per panel: a rendering bug in one chart (odd data, say) leaves the rest of the page
 * working and says what broke, instead of blanking the whole window.
 */
export class PanelBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error(`trainwatch: the ${this.props.label} panel failed to render`, error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (error === null) return this.props.children;
    return (
      <div className="panel panel-error" role="alert">
        <p>
          <strong>{this.props.label} could not be shown.</strong> {error.message}
        </p>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    );
  }
}
