import type { Asset } from '@conveyor/db/schema';

/** What one kind of preview is made of: its renderer's kind, file extension and MIME type. */
export interface PreviewFormat {
  kind: 'video' | 'audio';
  extension: 'mp4' | 'mp3';
  contentType: string;
}

const formats: Partial<Record<Asset['type'], PreviewFormat>> = {
  VIDEO: { kind: 'video', extension: 'mp4', contentType: 'video/mp4' },
  AUDIO: { kind: 'audio', extension: 'mp3', contentType: 'audio/mpeg' },
};

/** The preview an asset type gets, or undefined for the types that get none (spec 002). */
export function previewFormatOf(type: Asset['type']): PreviewFormat | undefined {
  return formats[type];
}

/**
 * Where the preview of one source version is stored: a new version gets a new key, so a preview
 * being served is never overwritten, and a retry of the same version writes the same key.
 */
export function previewKeyOf(
  assetId: string,
  sourceVersion: number,
  format: PreviewFormat,
): string {
  return `previews/${assetId}/v${sourceVersion}.${format.extension}`;
}
