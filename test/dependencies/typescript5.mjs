/**
 * Loaded with `node --import` before dependency-cruiser: it hands dependency-cruiser TypeScript
 * 5.9.3 (installed as `typescript5`) where it asks for `typescript`. dependency-cruiser reads
 * TypeScript through the compiler's JS API (for .ts/.tsx and for type-only imports), which
 * TypeScript 7 no longer has (TOOLCHAIN.md), and it accepts only `typescript` < 7; everything
 * else in the repository keeps TypeScript 7. Only requests coming from dependency-cruiser's own
 * files are redirected, for `require` (its version check) and `import` (the compiler) alike.
 */
import Module, { register } from 'node:module';
import path from 'node:path';

const FROM_CRUISER = `${path.sep}node_modules${path.sep}dependency-cruiser${path.sep}`;
const redirect = (request) => (request === 'typescript' || request.startsWith('typescript/') ? `typescript5${request.slice('typescript'.length)}` : request);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  return resolveFilename.call(this, parent?.filename?.includes(FROM_CRUISER) ? redirect(request) : request, parent, ...rest);
};

const hooks = `
const redirect = ${redirect.toString()};
export async function resolve(specifier, context, next) {
  const fromCruiser = context.parentURL !== undefined && context.parentURL.includes('/node_modules/dependency-cruiser/');
  return next(fromCruiser ? redirect(specifier) : specifier, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
