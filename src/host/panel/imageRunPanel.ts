// What the panels that run a model on an image (activations, Grad-CAM) share: the image changes
// from the picker (Change Image…), a file dropped on the panel, or a pasted image's bytes; the
// preprocessing asked of the engine and why it is the one used.
import { stat } from 'node:fs/promises';
import type * as vscode from 'vscode';
import type { ImageBytes, PanelViewKind, WebviewToHostMessage } from '../../shared/protocol';
import type { PreprocessMode } from '../../shared/types';
import { droppedImagePath } from './imageFiles';
import { imageActionFor, type ImageAction } from './panelMessages';
import { RunPanel, type PanelServices, type PanelTarget, type TargetChanges } from './runPanel';

/** A preprocessing mode the user asked for, and where they asked for it (shown in the panel). */
export interface PreprocessRequest {
  mode: PreprocessMode;
  reason: string;
}

/** What the runs on an image read and keep per model. */
export interface ImageRunServices extends PanelServices {
  /** The preprocessing chosen for a model in a panel, else the setting's; undefined for `auto` (the model's own). */
  preprocessRequestFor(modelPath: string): PreprocessRequest | undefined;
  /** For a model that takes any image size: the side the user chose, if any. */
  inputSideFor(modelPath: string): number | undefined;
  /** The image picker for a model; undefined when dismissed. */
  pickImage(modelPath: string, currentImage: string): Promise<string | undefined>;
  /** Keeps a pasted or dropped image (its file name, its bytes) in the extension's storage; resolves to the file. */
  storePastedImage(name: string, image: ImageBytes): Promise<string>;
  /** Remembers the image as the model's last and as a recent one. */
  rememberImage(modelPath: string, imagePath: string): Thenable<void>;
}

export interface ImageTarget extends PanelTarget {
  imagePath: string;
  /** Chosen in this panel; omitted: the model's remembered choice, the setting, or its own default. */
  preprocess?: PreprocessMode;
}

export const PREPROCESS_CHOSEN_IN_PANEL = 'chosen in this panel (remembered for the model)';

export abstract class ImageRunPanel<Target extends ImageTarget, Outcome> extends RunPanel<Target, Outcome> {
  protected constructor(panel: vscode.WebviewPanel, protected readonly imageServices: ImageRunServices, view: PanelViewKind, target: Target) {
    super(panel, imageServices, view, target);
  }

  /** The preprocessing to ask the engine for (undefined: the model's default) and why. */
  protected preprocessRequest(): PreprocessRequest | undefined {
    const chosen = this.target.preprocess;
    return chosen !== undefined ? { mode: chosen, reason: PREPROCESS_CHOSEN_IN_PANEL } : this.imageServices.preprocessRequestFor(this.modelPath);
  }

  /** What else changes with the image (Grad-CAM's class goes back to the top prediction). */
  protected changesForImage(imagePath: string): TargetChanges<Target> {
    return { imagePath } as TargetChanges<Target>;
  }

  /** The panel kind's own messages (everything but the image ones). */
  protected abstract onRunMessage(message: WebviewToHostMessage): Promise<void>;

  protected async onViewMessage(message: WebviewToHostMessage): Promise<void> {
    const image = imageActionFor(message);
    if (!image) return this.onRunMessage(message);
    const imagePath = await this.imagePathFor(image);
    if (imagePath === undefined) return;
    await this.imageServices.rememberImage(this.modelPath, imagePath);
    await this.run(this.changesForImage(imagePath));
  }

  /** The image an action names: picked, dropped (checked to be an image file that exists) or pasted (stored). */
  private async imagePathFor(action: ImageAction): Promise<string | undefined> {
    switch (action.action) {
      case 'pick':
        return this.imageServices.pickImage(this.modelPath, this.target.imagePath);
      case 'file': {
        const dropped = droppedImagePath(action.uri);
        if ('refused' in dropped) throw new Error(dropped.refused);
        const isFile = await stat(dropped.path).then((info) => info.isFile(), () => false);
        if (!isFile) throw new Error(`${dropped.path} is not a file that can be read`);
        return dropped.path;
      }
      case 'bytes':
        return this.imageServices.storePastedImage(action.name, action.image);
    }
  }
}
