// The input size asked for models that take any image size: which models need it, which answers count.
import assert from 'node:assert/strict';
import { MAX_INPUT_SIDE, parseInputSide, takesAnySize } from '../../src/host/inputSide';

describe('input size for models of any size', function () {
  it('is asked for models with a free height or width only', function () {
    assert.equal(takesAnySize({ inputShape: [null, null, 3] }), true);
    assert.equal(takesAnySize({ inputShape: [224, null, 3] }), true);
    assert.equal(takesAnySize({ inputShape: [150, 150, 3] }), false);
    assert.equal(takesAnySize({ inputShape: [null, 10] }), false, 'not an image input');
  });

  it('accepts a whole number of pixels in range, and nothing else', function () {
    assert.equal(parseInputSide(' 224 '), 224);
    assert.equal(parseInputSide(String(MAX_INPUT_SIDE)), MAX_INPUT_SIDE);
    for (const bad of ['', '0', '-3', '22.5', '1e3', '224px', String(MAX_INPUT_SIDE + 1)]) assert.equal(parseInputSide(bad), undefined, bad);
  });
});
