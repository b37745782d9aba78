/**
 * What a chart draws, apart from the chart: SeriesChart and DenseLines both read these, so they
 * live here rather than in either (DenseLines importing them from SeriesChart, which renders
 * DenseLines, was an import cycle).
 */
export interface LineSpec {
  key: string;
  label: string;
  color: string;
  /** The raw curve under a smoothed one: thin and faint, as in TensorBoard. */
  faint?: boolean;
  dashed?: boolean;
}

export interface Guide {
  y: number;
  label: string;
  tone: 'warn' | 'over';
}
