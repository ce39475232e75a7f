#!/usr/bin/env node
// @ts-check
/**
 * The README as the registry shows it: npm packs README.md from the package root, and its relative links
 * (`docs/operations.md`, `docs/web-ui-needs-attention.png`) break on the registry's page. At pack time (npm's
 * `prepack` and `postpack`, which `npm pack` and `npm publish` run) this rewrites them to absolute links into the
 * repository (`repository.url` of package.json) at the commit being packed, and puts the working copy back afterwards.
 *
 *   node tools/scripts/pack-readme.js prepack   back up README.md, then write it with absolute links
 *   node tools/scripts/pack-readme.js postpack  put the backed-up README.md back
 *   node tools/scripts/pack-readme.js restore   the same, by hand, after a pack that failed between the two
 *
 * A pack that fails after `prepack` leaves the rewritten README and its backup (node_modules/.cache/pack-readme/):
 * the next `prepack` (or `restore`) puts the original back first; if README.md was edited since, prepack stops and
 * says so rather than overwrite the edit. Links are
 * rewritten outside fenced code only: inline links and images, and reference definitions; `http:`, `mailto:` and other
 * schemes and `#anchors` stay. Images point at raw.githubusercontent.com, everything else at `…/blob/<ref>/`. The ref is
 * `PACK_README_REF`, else the checkout's commit, else `main`.
 *
 * Plain CommonJS so that it runs before anything is compiled.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const README = path.join(ROOT, 'README.md');
const BACKUP = path.join(ROOT, 'node_modules', '.cache', 'pack-readme', 'README.md');

/**
 * `https://github.com/owner/repo` from package.json's `repository` (or `homepage`).
 * @param {{ repository?: string | { url?: string }, homepage?: string }} pkg
 * @returns {string}
 */
function repositoryUrl(pkg) {
  const raw = (typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url) ?? pkg.homepage ?? '';
  const url = raw
    .replace(/^git\+/, '')
    .replace(/^git:\/\//, 'https://')
    .replace(/#.*$/, '')
    .replace(/\.git$/, '')
    .replace(/\/$/, '');
  if (!/^https:\/\/github\.com\/[^/]+\/[^/]+$/.test(url))
    throw new Error(`no GitHub repository URL in package.json (got "${raw}")`);
  return url;
}

/**
 * Whether a link target is relative to the repository (not a scheme, not an anchor, not protocol-relative).
 * @param {string} target
 */
function isRelative(target) {
  return target !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#') && !target.startsWith('//');
}

/**
 * `markdown` with its relative links made absolute: `blob` and `raw` are the bases (ending in `/`) for pages and
 * images. Fenced code blocks are left as they are.
 * @param {string} markdown
 * @param {{ blob: string, raw: string }} bases
 * @returns {string}
 */
function absoluteLinks(markdown, { blob, raw }) {
  /** @type {(target: string, image: boolean) => string} */
  const absolute = (target, image) => {
    if (!isRelative(target)) return target;
    const rel = target.replace(/^\.?\//, '');
    return (image ? raw : blob) + rel;
  };
  const parts = markdown.split(/(^(?:```|~~~)[^\n]*\n[\s\S]*?^(?:```|~~~)[ \t]*$)/m);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return part; // a fenced code block
      return part
        .replace(
          /(!?)\[((?:[^\]\\]|\\.)*)\]\(\s*(<[^>]*>|[^)\s]+)(\s+"[^"]*")?\s*\)/g,
          (
            /** @type {string} */ _m,
            /** @type {string} */ bang,
            /** @type {string} */ text,
            /** @type {string} */ target,
            /** @type {string | undefined} */ title,
          ) => {
            const bare = target.startsWith('<') ? target.slice(1, -1) : target;
            return `${bang}[${text}](${absolute(bare, bang === '!')}${title ?? ''})`;
          },
        )
        .replace(
          /^( {0,3}\[[^\]]+\]:[ \t]*)(\S+)/gm,
          (/** @type {string} */ _m, /** @type {string} */ head, /** @type {string} */ target) =>
            head + absolute(target, /\.(png|jpe?g|gif|svg|webp)$/i.test(target)),
        );
    })
    .join('');
}

/** The ref the links point at: PACK_README_REF, else the commit of the checkout, else `main`. */
function packRef() {
  if (process.env.PACK_README_REF) return process.env.PACK_README_REF;
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return git.status === 0 && /^[0-9a-f]{40}$/.test(git.stdout.trim()) ? git.stdout.trim() : 'main';
}

function bases() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const repo = repositoryUrl(pkg);
  const ref = packRef();
  return {
    blob: `${repo}/blob/${ref}/`,
    raw: `${repo.replace('https://github.com/', 'https://raw.githubusercontent.com/')}/${ref}/`,
  };
}

/** The rewritten README as prepack wrote it, beside the backup: a later prepack restores only an untouched one. */
const PACKED = `${BACKUP}.packed`;

function restore() {
  if (!fs.existsSync(BACKUP)) return false;
  fs.copyFileSync(BACKUP, README);
  fs.rmSync(BACKUP);
  fs.rmSync(PACKED, { force: true });
  return true;
}

function prepack() {
  if (fs.existsSync(BACKUP)) {
    // A pack failed after the rewrite: put the original back, unless README.md was edited since.
    const current = fs.readFileSync(README, 'utf8');
    const packed = fs.existsSync(PACKED) ? fs.readFileSync(PACKED, 'utf8') : undefined;
    if (current !== packed && current !== fs.readFileSync(BACKUP, 'utf8')) {
      throw new Error(
        `README.md changed since a pack that failed left ${path.relative(ROOT, BACKUP)} (the README before it): ` +
          'keep one of them (`node tools/scripts/pack-readme.js restore` puts the backup back), remove the backup, pack again',
      );
    }
    restore();
  }
  const original = fs.readFileSync(README, 'utf8');
  const rewritten = absoluteLinks(original, bases());
  fs.mkdirSync(path.dirname(BACKUP), { recursive: true });
  fs.writeFileSync(BACKUP, original);
  fs.writeFileSync(PACKED, rewritten);
  fs.writeFileSync(README, rewritten);
}

if (require.main === module) {
  const command = process.argv[2];
  try {
    if (command === 'prepack') prepack();
    else if (command === 'postpack' || command === 'restore') restore();
    else throw new Error('usage: node tools/scripts/pack-readme.js prepack|postpack|restore');
  } catch (err) {
    console.error(`pack-readme: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

module.exports = { absoluteLinks, repositoryUrl, isRelative };
