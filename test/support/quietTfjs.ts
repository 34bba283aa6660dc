// Loaded before every unit test (.mocharc.json): TF.js's advice to install tfjs-node, which the cpu
// backend prints on first use, is noise in test output. TF.js's own `warn` is silent under IS_TEST.
import * as tf from '@tensorflow/tfjs';

tf.env().set('IS_TEST', true);
