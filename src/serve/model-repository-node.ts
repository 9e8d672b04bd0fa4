/**
 * Resolve the models named to `stride serve` / `st.serve`: zoo names, model files and folders, and
 * model repositories laid out as Triton lays them out (`<repo>/<name>/<version>/<model files>`).
 * Everything is read once at start; requests never name a path.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { ValueError } from '../errors.js';
import { load } from '../io/save-load-node.js';
import { getModel, modelNames } from '../models/registry.js';
import type { Detector } from '../detection/detector.js';
import type { ModelTask } from '../nn/model-card.js';
import type { Module } from '../nn/module.js';
import { loadPretrainedServed, PRETRAINED_SERVED } from './pretrained-served-node.js';
import type { ServedDetector } from './served-detector.js';
import { prepareServedModel, type ServedModel } from './served-model.js';

/**
 * A model to serve: a zoo name, a pretrained name ({@link PRETRAINED_SERVED}) or a path, optionally
 * `name=` prefixed; an already built module (with its task when its model card does not say); or
 * a {@link Detector} (e.g. `st.loadDetector('centernet')`, or a trained YOLO wrapped as one).
 */
export type ModelSpec =
  | string
  | {
      name: string;
      module: Module;
      version?: string;
      classNames?: readonly string[];
      task?: ModelTask;
    }
  | { name: string; detector: Detector; version?: string };

/** What {@link loadServedModels} found: modules (served through `/infer`) and detectors. */
export interface LoadedServedModels {
  models: ServedModel[];
  detectors: ServedDetector[];
}

/** Class names from a `labels.txt` (one per line) in one of `dirs`, or null. */
function readLabels(dirs: readonly string[]): string[] | null {
  for (const d of dirs) {
    const p = join(d, 'labels.txt');
    if (existsSync(p)) {
      return readFileSync(p, 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length > 0);
    }
  }
  return null;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const VERSION_DIR = /^[0-9]+$/;

function versionDirs(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => VERSION_DIR.test(n) && isDir(join(dir, n)))
    .sort((a, b) => Number(a) - Number(b));
}

/** The loadable model inside a folder (a Stride model folder is itself one), or null. */
function modelInFolder(dir: string): string | null {
  if (existsSync(join(dir, 'config.json'))) return dir;
  const files = readdirSync(dir).sort();
  const pick = (ext: string): string | undefined => files.find((f) => f.toLowerCase().endsWith(ext));
  const found = pick('.onnx') ?? files.find((f) => f === 'model.json') ?? pick('.safetensors');
  if (found) return join(dir, found);
  // A Stride model folder inside a version folder (st.save(model, '<repo>/<name>/1/model')).
  const sub = files.filter((f) => isDir(join(dir, f)) && existsSync(join(dir, f, 'config.json')));
  return sub.length === 1 ? join(dir, sub[0]!) : null;
}

function modelName(path: string): string {
  const base = basename(path);
  if (base.toLowerCase() === 'model.json') return basename(dirname(path));
  return extname(base) ? base.slice(0, -extname(base).length) : base;
}

interface Found {
  name: string;
  version: string;
  path: string;
  labelDirs: string[];
}

/** Every model version a path holds: one file or folder, one repository model, or a whole repository. */
function modelsAt(path: string, name: string | null): Found[] {
  if (!isDir(path))
    return [{ name: name ?? modelName(path), version: '1', path, labelDirs: [dirname(path)] }];
  const direct = modelInFolder(path);
  if (direct && versionDirs(path).length === 0)
    return [{ name: name ?? modelName(path), version: '1', path: direct, labelDirs: [path] }];
  const versions = versionDirs(path);
  if (versions.length > 0) {
    const modelDirName = name ?? basename(path);
    return versions.map((v) => {
      const vdir = join(path, v);
      const file = modelInFolder(vdir);
      if (!file) {
        throw new ValueError(
          'serve',
          `version folder ${vdir} holds no model (expected a Stride model folder, a .onnx file, a TF.js model.json or a .safetensors file)`,
        );
      }
      return { name: modelDirName, version: v, path: file, labelDirs: [vdir, path] };
    });
  }
  const models = readdirSync(path)
    .sort()
    .filter((n) => isDir(join(path, n)) && versionDirs(join(path, n)).length > 0);
  if (models.length === 0) {
    throw new ValueError(
      'serve',
      `${path} is neither a model folder nor a model repository (<name>/<version>/<model file>)`,
    );
  }
  return models.flatMap((m) => modelsAt(join(path, m), null));
}

/** Options of {@link loadServedModels}. */
export interface LoadServedModelsOptions {
  /** Per-sample input shape for models that do not declare one. */
  inputShape?: readonly number[];
}

/**
 * Load and prepare every model of `specs`. A string is a zoo name (untrained weights: for trying
 * the protocol), a model file or folder (`st.load`: Stride, ONNX, TF.js), or a model repository;
 * `name=path` serves a path under another name. Throws a ValueError for an unknown name or path
 * and for two models with the same name and version.
 */
export function loadServedModels(
  specs: readonly ModelSpec[],
  opts: LoadServedModelsOptions = {},
): LoadedServedModels {
  const out: ServedModel[] = [];
  const detectors: ServedDetector[] = [];
  const shape = opts.inputShape ? { inputShape: opts.inputShape } : {};
  for (const spec of specs) {
    if (typeof spec !== 'string') {
      if ('detector' in spec) {
        detectors.push({
          name: spec.name,
          version: spec.version ?? '1',
          source: `detector ${spec.detector.name}`,
          detector: spec.detector,
        });
        continue;
      }
      out.push(
        prepareServedModel(spec.module, {
          name: spec.name,
          version: spec.version ?? '1',
          source: `module ${spec.module.constructor.name}`,
          classNames: spec.classNames ?? null,
          task: spec.task ?? null,
          ...shape,
        }),
      );
      continue;
    }
    const eq = spec.indexOf('=');
    const name = eq > 0 ? spec.slice(0, eq) : null;
    const target = eq > 0 ? spec.slice(eq + 1) : spec;
    if (!existsSync(target)) {
      if (modelNames.includes(target)) {
        const module = getModel(target);
        out.push(
          prepareServedModel(module, {
            name: name ?? target,
            version: '1',
            source: `zoo ${target}`,
            ...shape,
          }),
        );
        continue;
      }
      if (PRETRAINED_SERVED.includes(target)) {
        const p = loadPretrainedServed(target);
        const common = { name: name ?? target, version: '1', source: `pretrained ${target}` };
        if ('detector' in p) detectors.push({ ...common, detector: p.detector, pretrained: target });
        else out.push(prepareServedModel(p.module, { ...common, task: p.task, ...shape }));
        continue;
      }
      throw new ValueError(
        'serve',
        `'${target}' is neither an existing model file or folder, a zoo model (${modelNames.join(', ')}) nor a pretrained model (${PRETRAINED_SERVED.join(', ')})`,
      );
    }
    for (const f of modelsAt(target, name)) {
      out.push(
        prepareServedModel(load(f.path), {
          name: f.name,
          version: f.version,
          source: f.path,
          classNames: readLabels(f.labelDirs),
          ...shape,
        }),
      );
    }
  }
  const seen = new Set<string>();
  for (const m of [...out, ...detectors]) {
    const key = `${m.name}/${m.version}`;
    if (seen.has(key)) throw new ValueError('serve', `two models are named '${m.name}' version ${m.version}`);
    seen.add(key);
  }
  return { models: out, detectors };
}
