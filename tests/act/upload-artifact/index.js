// Stand-in for actions/upload-artifact under act: same inputs, same protocol (v4, via
// @actions/artifact), resolved from NODE_PATH (tests/act/node_modules).
const core = require('@actions/core');
const { DefaultArtifactClient } = require('@actions/artifact');
const fs = require('fs');
const path = require('path');

function expand(pattern) {
  // Enough of globbing for the workflows here: a folder, a file, or DIR/*.EXT.
  const star = pattern.lastIndexOf('*');
  if (star < 0) {
    if (!fs.existsSync(pattern)) return [];
    if (fs.statSync(pattern).isDirectory()) {
      return fs.readdirSync(pattern).map((f) => path.join(pattern, f)).filter((f) => fs.statSync(f).isFile());
    }
    return [pattern];
  }
  const head = pattern.slice(0, star);
  const slash = head.lastIndexOf('/');
  const dir = slash >= 0 ? head.slice(0, slash) || '/' : '.';
  const prefix = head.slice(slash + 1);
  const suffix = pattern.slice(star + 1);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith(suffix)).map((f) => path.join(dir, f));
}

async function main() {
  const name = core.getInput('name');
  const patterns = core.getMultilineInput('path', { required: true });
  const files = patterns.flatMap(expand).map((f) => path.resolve(f));
  if (files.length === 0) {
    const how = core.getInput('if-no-files-found');
    const message = `No files were found with the provided path: ${patterns.join(', ')}`;
    if (how === 'error') return core.setFailed(message);
    if (how === 'warn') core.warning(message);
    return;
  }
  // Files keep their paths relative to the first pattern's folder, as upload-artifact does.
  const first = patterns[0];
  const isDir = !first.includes('*') && fs.existsSync(first) && fs.statSync(first).isDirectory();
  const base = path.resolve(isDir ? first : path.dirname(first));
  const result = await new DefaultArtifactClient().uploadArtifact(name, files, base);
  core.setOutput('artifact-id', String(result.id));
  core.info(`uploaded ${files.length} file(s) as ${name}`);
}

main().catch((err) => core.setFailed(err.message));
