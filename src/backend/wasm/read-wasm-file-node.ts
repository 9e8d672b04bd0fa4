/** Lets the wasm backend's loader read `file:` URLs (the shipped stride.wasm) under Node. */
import { readFile } from 'node:fs/promises';
import { setWasmFileReader } from './load-wasm.js';

setWasmFileReader(async (url) => new Uint8Array(await readFile(url)));
