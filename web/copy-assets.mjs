// Copy the front-end files the app serves out of web/node_modules (installed by `npm ci --prefix web`) into
// api/static/vendor/<package>/, each with its licence, so that every page loads its code from the app's own
// origin. Run by scripts/install.sh; nothing else is copied, and a missing file is an error. axe-core is not
// copied: only the page tests use it, and they read it from web/node_modules (tests/support/browser.py).
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const vendor = join(web, "..", "api", "static", "vendor");

// package -> [file in the package, name under vendor/<folder>/]; the folder is the package's last name part.
const FILES = {
  "@zazuko/yasqe": ["build/yasqe.min.js", "build/yasqe.min.css"],
  "swagger-ui-dist": ["swagger-ui-bundle.js", "swagger-ui-bundle.js.LICENSE.txt", "swagger-ui.css", "LICENSE",
    "NOTICE"],
  "redoc": ["bundles/redoc.standalone.js", "bundles/redoc.standalone.js.LICENSE.txt", "LICENSE"],
};

// Redoc's side menu always shows its maker's logo from cdn.redoc.ly, which would be a request to another
// origin from /redoc: the copy shows an empty inline image there instead (the only change made to any file).
const PATCHES = {
  "redoc.standalone.js": ["https://cdn.redoc.ly/redoc/logo-mini.svg",
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"],
};

rmSync(vendor, { recursive: true, force: true });
for (const [name, files] of Object.entries(FILES)) {
  const source = join(web, "node_modules", name);
  const meta = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
  const target = join(vendor, name.split("/").pop());
  mkdirSync(target, { recursive: true });
  for (const file of files) {
    const name = file.split("/").pop();
    if (name in PATCHES) {
      const [from, to] = PATCHES[name];
      const text = readFileSync(join(source, file), "utf8");
      if (!text.includes(from)) {
        throw new Error(`${name} no longer contains ${from}: review the patch in web/copy-assets.mjs`);
      }
      writeFileSync(join(target, name), text.split(from).join(to));
    } else {
      copyFileSync(join(source, file), join(target, name));
    }
  }
  // What it is and under which licence, for a reader of vendor/ (some packages ship no licence text).
  const licence = existsSync(join(source, "LICENSE")) ? "the text is in LICENSE" :
    `the package ships no licence text; see ${meta.repository?.url ?? meta.homepage}`;
  const changed = files.map((file) => file.split("/").pop()).filter((name) => name in PATCHES)
    .map((name) => `Changed: in ${name}, ${PATCHES[name][0]} is replaced by an empty inline image.\n`);
  writeFileSync(join(target, "PACKAGE.txt"),
    `${meta.name} ${meta.version} from the npm registry, licence ${meta.license} (${licence}).\n${changed.join("")}`);
}
console.log(`copied the front-end assets into ${vendor}`);
