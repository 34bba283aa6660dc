// The WASM backend of TF.js 4.22 lacks three kernels that back-propagation through convolutions
// uses: Grad-CAM at a layer before a depthwise convolution, or before a convolution without its own
// activation (whose fused gradient also computes the filter's), fails on it without them. Each is
// registered on 'wasm' as the cpu backend's own implementation, with the tensors copied across.
import * as tf from '@tensorflow/tfjs';
import { registerFastWasmInputGradient } from './wasmFastInputGradient';
import { registerFastWasmMaxPoolGrad } from './wasmFastMaxPoolGrad';

const BORROWED_KERNELS = [tf.Conv2DBackpropFilter, tf.DepthwiseConv2dNativeBackpropFilter, tf.DepthwiseConv2dNativeBackpropInput];

interface BackendData {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  disposeData(dataId: tf.DataId): void;
}
interface CpuBackend extends BackendData {
  firstUse: boolean;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): tf.TensorInfo;
}
interface WasmBackend extends BackendData {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}

/**
 * Registers the missing kernels once (a no-op for kernels the WASM backend has, in a later TF.js),
 * and the fast stride-1 input gradient and max-pooling gradient (see wasmFastInputGradient.ts and
 * wasmFastMaxPoolGrad.ts).
 */
export function registerMissingWasmGradientKernels(): void {
  registerFastWasmInputGradient();
  registerFastWasmMaxPoolGrad();
  for (const kernelName of BORROWED_KERNELS) {
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    if (tf.getKernel(kernelName, 'wasm') || !cpuKernel) continue;
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs, backend }) => {
        const wasm = backend as unknown as WasmBackend;
        const cpu = tf.findBackend('cpu') as unknown as CpuBackend;
        // The cpu backend greets its first use with advice to install tfjs-node; it is only a helper here.
        cpu.firstUse = false;
        // Copies: WASM's values are views of its heap, which moves when it grows.
        const cpuInputs = Object.fromEntries(
          Object.entries(inputs).flatMap(([name, info]) => (info ? [[name, cpu.makeTensorInfo(info.shape, info.dtype, wasm.readSync(info.dataId).slice())]] : [])),
        );
        const result = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs, backend: cpu as unknown as tf.KernelBackend }) as tf.TensorInfo;
        try {
          return wasm.makeOutput(result.shape, result.dtype, undefined, cpu.readSync(result.dataId));
        } finally {
          for (const info of [...Object.values(cpuInputs), result]) cpu.disposeData(info.dataId);
        }
      },
    });
  }
}
