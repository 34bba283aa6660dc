// PNG bytes from the host become `blob:` URLs (allowed by the panel's CSP as img-src blob:). Every
// URL made here is revoked when its image is replaced or the view is reset.

/**
 * The host sends `Uint8Array`s; accept an `ArrayBuffer` or a plain array of bytes too, so that a
 * host that serializes messages another way still shows its images.
 */
export function toBytes(value: unknown): Uint8Array<ArrayBuffer> | undefined {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) {
    // Copy into this realm's ArrayBuffer: the view may be shared or come from another realm.
    const view = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return new Uint8Array(view);
  }
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  if (typeof value === 'object' && value !== null) {
    // JSON-serialized typed array: {"0": 137, "1": 80, …}
    const entries = Object.values(value as Record<string, unknown>);
    if (entries.length > 0 && entries.every((entry) => typeof entry === 'number')) return Uint8Array.from(entries as number[]);
  }
  return undefined;
}

/** A `blob:` URL for image bytes of the given type, or `undefined` when there are none. */
export function imageObjectUrl(image: unknown, mimeType = 'image/png'): string | undefined {
  const bytes = toBytes(image);
  if (!bytes || bytes.byteLength === 0) return undefined;
  return URL.createObjectURL(new Blob([bytes], { type: mimeType }));
}

/** One image's current object URL: setting a new one revokes the old. */
export class ObjectUrlSlot {
  private url: string | undefined;

  /** Makes a URL for the PNG (revoking the previous one) and returns it. */
  setPng(png: unknown): string | undefined {
    return this.setImage(png, 'image/png');
  }

  /** Makes a URL for image bytes of any type (revoking the previous one) and returns it. */
  setImage(bytes: unknown, mimeType: string): string | undefined {
    this.revoke();
    this.url = imageObjectUrl(bytes, mimeType);
    return this.url;
  }

  get current(): string | undefined {
    return this.url;
  }

  revoke(): void {
    if (this.url !== undefined) URL.revokeObjectURL(this.url);
    this.url = undefined;
  }
}
