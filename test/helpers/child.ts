// Stopping a child process a test started: the same code that stops `tocsin stack`'s children.
export { stopChild } from '../../src/stack/child.js';
