/**
 * Smoothing for training curves: TensorBoard's exponential moving average with debiasing
 * (tensorboard/webapp/widgets/line_chart_v2/lib/... and the older vz_line_chart2 `resmoothDataset`),
 * so a curve smoothed here looks like the same curve smoothed in TensorBoard.
 *
 * Debiasing divides by (1 - w^n): without it the curve starts at 0 and crawls up, which would
 * read as a loss that begins tiny. Non-finite points pass through unchanged and do not feed the
 * average, so one NaN does not poison everything after it.
 */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  const w = Number.isFinite(weight) ? Math.min(Math.max(weight, 0), 0.999) : 0;
  // TensorBoard leaves a constant series alone: float noise from the division would make it wobble.
  const first = values.find((v) => Number.isFinite(v));
  if (w === 0 || first === undefined || values.every((v) => !Number.isFinite(v) || v === first)) return [...values];
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
}
