// `tsx bench/datasetImagesMain.ts <folder> <count>`: see datasetImages.ts.
import { writeDatasetImages } from './datasetImages';

const [folder, count] = process.argv.slice(2);
writeDatasetImages(folder, Number(count)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
