/**
 * Lets the wasm backend's loader read `file:` URLs (the shipped modules) under Node, and start its
 * helper threads there (wasm-threads-node.ts).
 */
import { readFile } from 'node:fs/promises';
import { setWasmFileReader } from './load-wasm.js';
import './wasm-threads-node.js';

setWasmFileReader(async (url) => new Uint8Array(await readFile(url)));
