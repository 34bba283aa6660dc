import assert from 'node:assert/strict';
import { predictionsCsv } from '../../src/cli/datasetCsv';
import type { DatasetImageResult } from '../../src/shared/types';

describe('predictions.csv', () => {
  const image = (relativePath: string, fields: Partial<DatasetImageResult> = {}): DatasetImageResult => ({ relativePath, predictedClass: 1, confidence: 0.75, cached: false, ...fields });

  it('writes one row per image, with the verdict and the error scores where known', () => {
    const csv = predictionsCsv(
      [image('cats/a.jpg', { folderLabel: 'cats', trueClass: 0, correct: false, offCentre: 0.61234, onBorder: 0.2 }), image('loose.png')],
      ['cat', 'dog'],
    );
    assert.equal(
      csv,
      [
        'path,folder,true_class,true_name,predicted_class,predicted_name,confidence,correct,off_centre,on_border',
        'cats/a.jpg,cats,0,cat,1,dog,0.750000,false,0.6123,0.2000',
        'loose.png,,,,1,dog,0.750000,,,',
        '',
      ].join('\n'),
    );
  });

  it('quotes commas, quotes and line breaks, and keeps spreadsheet formulas from running', () => {
    const csv = predictionsCsv([image('a,"b"\nc.png'), image('=HYPERLINK("x").png'), image('@cmd.png'), image('+1.png')], ['x', '-y']);
    const lines = csv.split('\n');
    assert.equal(lines[1], '"a,""b""');
    assert.equal(lines[2], 'c.png",,,,1,\'-y,0.750000,,,'.replace("'-y", '"\'-y"'));
    assert.ok(lines[3].startsWith('"\'=HYPERLINK(""x"").png",'), lines[3]);
    assert.ok(lines[4].startsWith('"\'@cmd.png",'), lines[4]);
    assert.ok(lines[5].startsWith('"\'+1.png",'), lines[5]);
  });
});
