// Accuracy and the confusion matrix (rows: true class, columns: predicted), built up one image at a
// time so a run never holds its images.
export class ConfusionMatrix {
  readonly counts: number[][];
  labelled = 0;
  correct = 0;

  constructor(readonly classCount: number) {
    this.counts = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  }

  add(trueClass: number, predictedClass: number): void {
    this.counts[trueClass][predictedClass]++;
    this.labelled++;
    if (trueClass === predictedClass) this.correct++;
  }

  get accuracy(): number | undefined {
    return this.labelled === 0 ? undefined : this.correct / this.labelled;
  }
}
