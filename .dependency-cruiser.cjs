/**
 * Which folder may import what (DESIGN.md "Layers"), checked by dependency-cruiser on every
 * `npm test` (test/dependencies/dependencies.test.ts; `npm run deps` prints the same report).
 * Type-only imports count: tsPreCompilationDeps reads the sources before TypeScript erases
 * them, so a cycle made of `import type` is a cycle here too. dependency-cruiser gets
 * TypeScript 5.9.3 for that (test/dependencies/typescript5.mjs); the build keeps TypeScript 7.
 * The compiler backs the rules up: tsconfig.shared.json has neither Node nor DOM types.
 */
const ELECTRON_NPM = ['^electron$', '(^|/)node_modules/electron/'];
const REACT_NPM = ['^(react|react-dom|recharts)(/|$)', '(^|/)node_modules/(react|react-dom|recharts)/'];
const SOURCES = '^(shared|electron|renderer|clients)/';

module.exports = {
  forbidden: [
    {
      name: 'only-the-shell-imports-electron',
      comment: 'Only electron/shell/ may load `electron`; the engine, CLI, renderer and shared run in plain Node or a browser.',
      severity: 'error',
      from: { path: SOURCES, pathNot: '^electron/shell/' },
      to: { path: ELECTRON_NPM },
    },
    {
      name: 'shared-imports-no-node',
      comment: 'shared/ holds contracts both hosts load: no Node built-ins.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'shared-imports-only-shared',
      comment: 'shared/ imports nothing of ours outside shared/, and of npm only zod.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { dependencyTypesNot: ['core'], pathNot: ['^shared/', '(^|/)node_modules/zod/', '^zod$'] },
    },
    {
      name: 'only-the-renderer-imports-the-renderer',
      comment: 'renderer/ is browser code built by Vite; what another layer needs from it belongs in shared/.',
      severity: 'error',
      from: { path: SOURCES, pathNot: '^renderer/' },
      to: { path: '^renderer/' },
    },
    {
      name: 'only-the-renderer-imports-react',
      comment: 'The engine, CLI, shell and shared never load UI code.',
      severity: 'error',
      from: { path: SOURCES, pathNot: '^renderer/' },
      to: { path: REACT_NPM },
    },
    {
      name: 'the-renderer-imports-no-node-and-no-electron-folder',
      comment: 'The renderer runs in a browser and reaches the engine only through MonitorApi (shared/ contracts).',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'the-renderer-reaches-the-engine-only-through-shared',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: ['^electron/', '^clients/'] },
    },
    {
      name: 'the-engine-imports-no-client-cli-or-shell',
      comment: 'The engine is a library the CLI and the shell start; clients talk to it over the wire.',
      severity: 'error',
      from: { path: '^electron/engine/' },
      to: { path: ['^clients/', '^electron/cli/', '^electron/shell/'] },
    },
    {
      name: 'no-cycles',
      comment: 'No import cycle, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every relative import resolves (a rule that cannot see an import cannot check it).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    moduleSystems: ['es6', 'cjs'],
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(build|dist)/' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
      conditionNames: ['import', 'require', 'node', 'default'],
      exportsFields: ['exports'],
      mainFields: ['module', 'main'],
    },
  },
};
