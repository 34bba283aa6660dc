// Loaded before every unit test (.mocharc.json): the cpu backend advises installing tfjs-node on
// its first use, which is noise in test output (the engine's own use of it is quiet already).
import * as tf from '@tensorflow/tfjs';

const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
if (cpu) cpu.firstUse = false;
