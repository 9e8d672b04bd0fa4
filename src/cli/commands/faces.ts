import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { DataFileError } from '../../data/data-file-error.js';
import { ValueError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-write-node.js';
import { FACE_MATCH_THRESHOLD, faceDistance } from '../../faces/face-pipeline.js';
import * as faces from '../../faces/faces-node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';

const specs = {
  threshold: {
    type: 'number',
    help: 'distance below which two faces are the same person',
    default: FACE_MATCH_THRESHOLD,
  },
  gallery: { type: 'string', help: 'gallery folder (identify)' },
} satisfies Record<string, OptionSpec>;

/** Help of `stride faces`. */
export const facesHelp = `stride faces compare <a.jpg> <b.jpg> [--threshold 0.6]
stride faces enroll <gallery-folder>
stride faces identify <photo> --gallery <gallery-folder> [--threshold 0.6]

Face verification and one-shot identification with face-api's networks run by Stride: SSD
MobileNetV1 detection, 68 landmarks, alignment, 128-D descriptors (weights from the npm package
@vladmandic/face-api).

  compare   the descriptor distance of the most confident face of each photo, and same/different
  enroll    one descriptor per photo in the folder (the file name is the person's name), written
            to <gallery-folder>/gallery.json
  identify  every face of the photo against the enrolled gallery: the nearest person, or unknown

${formatOptions(specs)}`;

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);
const GALLERY_FILE = 'gallery.json';

interface GalleryEntry {
  name: string;
  file: string;
  descriptor: number[];
}

function galleryPhotos(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    names = readdirSync(dir);
  } catch (e) {
    throw new DataFileError(
      'faces enroll',
      dir,
      `cannot read the gallery folder (${(e as Error).message})`,
      'pass a folder of photos, one person per photo',
    );
  }
  return names.filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
}

function readGallery(dir: string): GalleryEntry[] {
  const file = join(dir, GALLERY_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DataFileError(
      'faces identify',
      file,
      missing ? 'no enrolled gallery here' : `not a gallery file (${(e as Error).message})`,
      `run \`stride faces enroll ${dir}\` first`,
    );
  }
  const people = (parsed as { people?: unknown }).people;
  if (!Array.isArray(people))
    throw new DataFileError(
      'faces identify',
      file,
      'not a gallery file (no people list)',
      `run \`stride faces enroll ${dir}\` again`,
    );
  if (people.length === 0) {
    throw new ValueError(
      'faces identify',
      `the gallery ${dir} is empty: nobody is enrolled. Fix: add one photo per person to the folder and run \`stride faces enroll ${dir}\``,
    );
  }
  return people as GalleryEntry[];
}

const box = (f: { x: number; y: number; width: number; height: number }) =>
  `[${Math.round(f.x)}, ${Math.round(f.y)}, ${Math.round(f.width)}x${Math.round(f.height)}]`;

/** `stride faces compare|enroll|identify ...` */
export async function facesCommand(argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const { positional, options } = parseArgs(rest, specs);
  const threshold = options['threshold'] as number;
  if (sub === 'compare') {
    if (positional.length !== 2)
      throw new UsageError(`faces compare takes two photos, got ${positional.length}`);
    const r = await faces.compare(positional[0]!, positional[1]!, threshold);
    console.log(
      `distance ${r.distance.toFixed(4)}: ${r.same ? 'same person' : 'different people'} (threshold ${threshold})`,
    );
    return;
  }
  if (sub === 'enroll') {
    if (positional.length !== 1) throw new UsageError('faces enroll takes one gallery folder');
    const dir = positional[0]!;
    const photos = galleryPhotos(dir);
    if (photos.length === 0) {
      throw new ValueError(
        'faces enroll',
        `the gallery folder ${dir} holds no photos (${[...IMAGE_EXTENSIONS].join(', ')}). Fix: add one photo per person, named after the person`,
      );
    }
    const people: GalleryEntry[] = [];
    for (const photo of photos) {
      const found = await faces.describe(join(dir, photo));
      if (found.length === 0) {
        console.log(`${photo}: no face found, skipped`);
        continue;
      }
      const name = basename(photo, extname(photo));
      people.push({ name, file: photo, descriptor: Array.from(found[0]!.descriptor) });
      console.log(
        `${photo}: enrolled '${name}' (face at ${box(found[0]!)}${found.length > 1 ? `, the most confident of ${found.length}` : ''})`,
      );
    }
    if (people.length === 0)
      throw new ValueError('faces enroll', `no face found in any photo of ${dir}; nothing enrolled`);
    writeFileAtomic(
      join(dir, GALLERY_FILE),
      JSON.stringify({ format: 'stride-face-gallery', version: 1, people }) + '\n',
    );
    console.log(`wrote ${join(dir, GALLERY_FILE)} (${people.length} people)`);
    return;
  }
  if (sub === 'identify') {
    if (positional.length !== 1) throw new UsageError('faces identify takes one photo');
    const dir = options['gallery'];
    if (typeof dir !== 'string') throw new UsageError('faces identify needs --gallery <folder>');
    const people = readGallery(dir);
    const found = await faces.describe(positional[0]!);
    if (found.length === 0)
      throw new ValueError(
        'faces identify',
        `no face found in ${positional[0]}. Fix: use a photo with a clearly visible face`,
      );
    for (const f of found) {
      const ranked = people
        .map((p) => ({ name: p.name, d: faceDistance(f.descriptor, p.descriptor) }))
        .sort((a, b) => a.d - b.d);
      const best = ranked[0]!;
      console.log(
        best.d < threshold
          ? `face at ${box(f)}: ${best.name} (distance ${best.d.toFixed(4)})`
          : `face at ${box(f)}: unknown (nearest ${best.name} at ${best.d.toFixed(4)}, threshold ${threshold})`,
      );
    }
    return;
  }
  throw new UsageError(
    sub === undefined
      ? 'faces needs a subcommand: compare, enroll or identify'
      : `unknown faces subcommand '${sub}' (compare, enroll, identify)`,
  );
}
