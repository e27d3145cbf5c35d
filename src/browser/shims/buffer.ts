// Injected into the browser build (scripts/build-browser.ts): isomorphic-git and
// our core modules use the global Buffer; the `buffer` package is Node's, for browsers.
import { Buffer } from 'buffer'
export { Buffer }
