import assert from 'node:assert/strict';
import { routeRunPanelMessage } from '../../src/host/panel/panelMessages';
import { isDatasetRelativePath } from '../../src/host/panel/datasetPanelMessages';

describe('Explain Folder panel messages', () => {
  it('takes only paths inside the dataset folder', () => {
    for (const inside of ['cats/cat.1.jpg', 'a.png', 'deep/er/x y.webp']) assert.equal(isDatasetRelativePath(inside), true, inside);
    for (const outside of ['../model.json', 'cats/../../x.png', '/etc/passwd', 'C:/x.png', 'cats\\..\\x.png', '', 'a//b.png', './a.png', 'a\0.png', 7]) {
      assert.equal(isDatasetRelativePath(outside), false, String(outside));
    }
  });

  it('routes the panel’s messages to it and refuses malformed ones whole', () => {
    assert.deepEqual(routeRunPanelMessage({ type: 'explainDatasetImage', requestId: 4, relativePath: 'dogs/d.jpg', method: 'scorecam', extra: 1 }, 1), {
      route: 'toView',
      message: { type: 'explainDatasetImage', requestId: 4, relativePath: 'dogs/d.jpg', method: 'scorecam' },
    });
    assert.equal(routeRunPanelMessage({ type: 'explainDatasetImage', requestId: 4, relativePath: '../d.jpg', method: 'gradcam' }, 1).route, 'ignore');
    assert.equal(routeRunPanelMessage({ type: 'explainDatasetImage', requestId: -1, relativePath: 'd.jpg', method: 'gradcam' }, 1).route, 'ignore');
    assert.equal(routeRunPanelMessage({ type: 'explainDatasetImage', requestId: 1, relativePath: 'd.jpg', method: 'nope' }, 1).route, 'ignore');
    assert.deepEqual(routeRunPanelMessage({ type: 'openDatasetImage', relativePath: 'd.jpg' }, 1), { route: 'toView', message: { type: 'openDatasetImage', relativePath: 'd.jpg' } });
    assert.deepEqual(routeRunPanelMessage({ type: 'changeDatasetMapping' }, 1), { route: 'toView', message: { type: 'changeDatasetMapping' } });
    assert.deepEqual(routeRunPanelMessage({ type: 'chooseDatasetFolder', folder: '/etc' }, 1), { route: 'toView', message: { type: 'chooseDatasetFolder' } });
  });
});
