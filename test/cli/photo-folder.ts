/**
 * A tiny image-classification folder built at test time from real photos shipped by Debian
 * packages: `python3-skimage` (Chelsea the cat, a coffee cup) and `darknet` (a giraffe). Each
 * photo gives a handful of images by cropping and mirroring; one class folder also gets a
 * truncated JPEG.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const DARKNET = '/usr/share/darknet/data';

/** Source photo of each class, with the Debian package that ships it. */
export const PHOTOS: Readonly<Record<string, { file: string; pkg: string }>> = {
  cat: { file: join(SKIMAGE, 'chelsea.png'), pkg: 'python3-skimage' },
  coffee: { file: join(SKIMAGE, 'coffee.png'), pkg: 'python3-skimage' },
  giraffe: { file: join(DARKNET, 'giraffe.jpg'), pkg: 'darknet' },
};

/** `skip` option for node:test: false when every photo is installed, else which package to install. */
export const skipPhotos: string | false = (() => {
  const missing = [
    ...new Set(
      Object.values(PHOTOS)
        .filter((p) => !existsSync(p.file))
        .map((p) => p.pkg),
    ),
  ];
  return missing.length > 0
    ? `needs the photos of Debian ${missing.join(' and ')} (apt install ${missing.join(' ')})`
    : false;
})();

/** One crop of a photo: fractions of its width and height. */
interface View {
  name: string;
  left: number;
  top: number;
  width: number;
  height: number;
  flip: boolean;
}

const VIEWS: readonly View[] = [
  { name: 'full', left: 0, top: 0, width: 1, height: 1, flip: false },
  { name: 'full-flip', left: 0, top: 0, width: 1, height: 1, flip: true },
  { name: 'center', left: 0.15, top: 0.15, width: 0.7, height: 0.7, flip: false },
  { name: 'center-flip', left: 0.15, top: 0.15, width: 0.7, height: 0.7, flip: true },
  { name: 'top-left', left: 0, top: 0, width: 0.8, height: 0.8, flip: false },
  { name: 'bottom-right', left: 0.2, top: 0.2, width: 0.8, height: 0.8, flip: false },
];

/**
 * Write `root/<class>/<view>.jpg` (64x64, cropped and mirrored views of each class's photo; 6 per
 * class), plus `root/cat/truncated.jpg`
 * (a JPEG cut in half) when `truncated` is set. Returns the paths of the good images per class.
 */
export async function buildPhotoFolder(
  root: string,
  opts: { truncated: boolean },
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [cls, { file }] of Object.entries(PHOTOS)) {
    const dir = join(root, cls);
    mkdirSync(dir, { recursive: true });
    const bytes = readFileSync(file);
    const { width, height } = await sharp(bytes).metadata();
    out[cls] = [];
    for (const v of VIEWS) {
      let img = sharp(bytes)
        .removeAlpha()
        .extract({
          left: Math.round(v.left * width),
          top: Math.round(v.top * height),
          width: Math.round(v.width * width),
          height: Math.round(v.height * height),
        })
        .resize(64, 64, { fit: 'fill' });
      if (v.flip) img = img.flop();
      const path = join(dir, `${v.name}.jpg`);
      writeFileSync(path, await img.jpeg({ quality: 90 }).toBuffer());
      out[cls].push(path);
    }
  }
  if (opts.truncated) {
    const whole = await sharp(readFileSync(PHOTOS['cat']!.file)).resize(64, 64).jpeg().toBuffer();
    writeFileSync(join(root, 'cat', 'truncated.jpg'), whole.subarray(0, Math.floor(whole.length / 2)));
  }
  return out;
}
