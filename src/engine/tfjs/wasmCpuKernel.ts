// Running the cpu backend's implementation of a kernel on tensors of the WASM backend: for kernels
// the WASM backend of TF.js 4.22 lacks, and for stock WASM kernels that give wrong values (see
// wasmGradientKernels.ts). The inputs are copied to the cpu backend and the outputs back.
import * as tf from '@tensorflow/tfjs';

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

/** True where the cpu backend has `kernelName`, so that runOnCpu can run it. */
export function cpuHasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, 'cpu') !== undefined;
}

/** The cpu backend's kernel `kernelName` run on the WASM tensors of `args`; its outputs are WASM tensors. */
export function runOnCpu(kernelName: string, { inputs, attrs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const cpuKernel = tf.getKernel(kernelName, 'cpu');
  if (!cpuKernel) throw new Error(`the cpu backend has no ${kernelName} kernel`);
  const wasm = backend as unknown as WasmBackend;
  const cpu = tf.findBackend('cpu') as unknown as CpuBackend;
  // The cpu backend greets its first use with advice to install tfjs-node; it is only a helper here.
  cpu.firstUse = false;
  // Copies: WASM's values are views of its heap, which moves when it grows. The engine hands
  // kernels tensors, and some cpu kernels (Dilation2D's gradients) check their rank.
  const cpuInputs = Object.fromEntries(
    Object.entries(inputs).flatMap(([name, info]) =>
      info ? [[name, { ...cpu.makeTensorInfo(info.shape, info.dtype, wasm.readSync(info.dataId).slice()), rank: info.shape.length }]] : [],
    ),
  );
  const cpuOutputs: tf.TensorInfo[] = [];
  try {
    const result = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs, backend: cpu as unknown as tf.KernelBackend });
    cpuOutputs.push(...(Array.isArray(result) ? result : [result]));
    const outputs = cpuOutputs.map((info) => wasm.makeOutput(info.shape, info.dtype, undefined, cpu.readSync(info.dataId)));
    return Array.isArray(result) ? outputs : outputs[0];
  } finally {
    for (const info of [...Object.values(cpuInputs), ...cpuOutputs]) cpu.disposeData(info.dataId);
  }
}
