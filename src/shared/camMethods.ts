// The methods that explain a prediction, each with the one line the panel and the CLI show. The class
// activation map (CAM) methods weigh the target layer's feature maps A_k (channels k), sum them, put
// the sum through a ReLU and divide it by its maximum; they differ in the weights. The attribution
// methods give a relevance per input pixel (analyses/attributions/), shown the same way.

export type CamMethod = 'gradcam' | 'gradcampp' | 'xgradcam' | 'layercam' | 'hirescam' | 'eigencam' | 'scorecam' | 'ablationcam';
export type AttributionMethodId = 'saliency' | 'smoothgrad' | 'integrated-gradients' | 'guided-backprop' | 'guided-grad-cam' | 'occlusion';
/** Any method: a method is a method to the user. */
export type ExplainMethod = CamMethod | AttributionMethodId;

export interface CamMethodInfo {
  id: ExplainMethod;
  /** `layer`: a map at the target layer's resolution; `input`: one value per input pixel. */
  resolution: 'layer' | 'input';
  label: string;
  /** The formula in one line (G = ∂score/∂A, the class score's gradient at the layer). */
  summary: string;
  /** The paper the formula is taken from. */
  paper: string;
  /** Re-runs the model many times (in batches): slower, with progress, cancellable. */
  rescores: boolean;
}

export const CAM_METHODS: readonly (CamMethodInfo & { id: CamMethod })[] = [
  {
    id: 'gradcam',
    resolution: 'layer',
    label: 'Grad-CAM',
    summary: 'weights = G averaged over each channel; map = ReLU(mean over k of w_k·A_k)',
    paper: 'Selvaraju et al., Grad-CAM, ICCV 2017',
    rescores: false,
  },
  {
    id: 'gradcampp',
    resolution: 'layer',
    label: 'Grad-CAM++',
    summary: 'weights = Σ α·ReLU(G) with α = G² / (2G² + ΣA·G³): pixel-wise weighted gradients, better for several objects',
    paper: 'Chattopadhay et al., Grad-CAM++, WACV 2018',
    rescores: false,
  },
  {
    id: 'xgradcam',
    resolution: 'layer',
    label: 'XGrad-CAM',
    summary: 'weights = Σ G·A / ΣA per channel: the gradient averaged where the channel is active',
    paper: 'Fu et al., Axiom-based Grad-CAM, BMVC 2020',
    rescores: false,
  },
  {
    id: 'layercam',
    resolution: 'layer',
    label: 'LayerCAM',
    summary: 'map = ReLU(Σ_k ReLU(G_k)·A_k), per location: finer maps, also at early layers',
    paper: 'Jiang et al., LayerCAM, IEEE TIP 2021',
    rescores: false,
  },
  {
    id: 'hirescam',
    resolution: 'layer',
    label: 'HiResCAM',
    summary: 'map = ReLU(Σ_k G_k·A_k), per location: the gradient not averaged, so the map shows where the score rose',
    paper: 'Draelos & Carin, HiResCAM, 2020',
    rescores: false,
  },
  {
    id: 'eigencam',
    resolution: 'layer',
    label: 'Eigen-CAM',
    summary: 'map = the feature maps projected on their first principal component: no class, no gradient',
    paper: 'Muhammad & Yeasin, Eigen-CAM, IJCNN 2020',
    rescores: false,
  },
  {
    id: 'scorecam',
    resolution: 'layer',
    label: 'Score-CAM',
    summary: 'weights = softmax over k of the class logit for the image masked by each upsampled, 0–1 scaled A_k: no gradient',
    paper: 'Wang et al., Score-CAM, CVPR Workshops 2020',
    rescores: true,
  },
  {
    id: 'ablationcam',
    resolution: 'layer',
    label: 'Ablation-CAM',
    summary: 'weights = (y − y_k) / y, the score’s drop when channel k is zeroed: no gradient',
    paper: 'Desai & Ramaswamy, Ablation-CAM, WACV 2020',
    rescores: true,
  },
];

export const ATTRIBUTION_METHODS: readonly (CamMethodInfo & { id: AttributionMethodId })[] = [
  { id: 'saliency', resolution: 'input', label: 'Saliency', summary: '|∂score/∂x|, the largest over the colour channels', paper: 'Simonyan et al., 2014', rescores: false },
  {
    id: 'smoothgrad',
    resolution: 'input',
    label: 'SmoothGrad',
    summary: 'the gradient averaged over 25 noisy copies of the image (σ = 15 % of its range), |·|',
    paper: 'Smilkov et al., SmoothGrad, 2017',
    rescores: true,
  },
  {
    id: 'integrated-gradients',
    resolution: 'input',
    label: 'Integrated Gradients',
    summary: '(x − x′) · the gradient integrated from a black image x′ to x (32 steps), summed over channels',
    paper: 'Sundararajan et al., ICML 2017',
    rescores: true,
  },
  { id: 'guided-backprop', resolution: 'input', label: 'Guided Backprop', summary: 'the gradient with only positive signals passed back through each ReLU, |·|', paper: 'Springenberg et al., 2015', rescores: false },
  { id: 'guided-grad-cam', resolution: 'input', label: 'Guided Grad-CAM', summary: 'Guided Backprop times the upsampled Grad-CAM map', paper: 'Selvaraju et al., Grad-CAM, ICCV 2017', rescores: false },
  { id: 'occlusion', resolution: 'input', label: 'Occlusion', summary: 'the score’s drop when a window (⅛ of the side, half-overlapping) is blacked out, averaged per pixel', paper: 'Zeiler & Fergus, ECCV 2014', rescores: true },
];

/** Every method, CAM methods first. */
export const EXPLAIN_METHODS: readonly CamMethodInfo[] = [...CAM_METHODS, ...ATTRIBUTION_METHODS];

export const CAM_METHOD_IDS: readonly CamMethod[] = CAM_METHODS.map((method) => method.id);
export const EXPLAIN_METHOD_IDS: readonly ExplainMethod[] = EXPLAIN_METHODS.map((method) => method.id);

export const DEFAULT_CAM_METHOD: CamMethod = 'gradcam';

export function camMethodInfo(method: ExplainMethod): CamMethodInfo {
  return EXPLAIN_METHODS.find((info) => info.id === method)!;
}

export function isCamMethod(value: unknown): value is CamMethod {
  return typeof value === 'string' && (CAM_METHOD_IDS as readonly string[]).includes(value);
}

export function isExplainMethod(value: unknown): value is ExplainMethod {
  return typeof value === 'string' && (EXPLAIN_METHOD_IDS as readonly string[]).includes(value);
}
