// Stand-in for actions/download-artifact under act (v4 protocol via @actions/artifact).
const core = require('@actions/core');
const { DefaultArtifactClient } = require('@actions/artifact');
const path = require('path');

async function main() {
  const client = new DefaultArtifactClient();
  const name = core.getInput('name');
  const pattern = core.getInput('pattern');
  const dest = path.resolve(core.getInput('path') || '.');
  const merge = core.getInput('merge-multiple') === 'true';
  const { artifacts } = await client.listArtifacts({ latest: true });
  let chosen;
  if (name) {
    chosen = artifacts.filter((a) => a.name === name);
    if (chosen.length === 0) return core.setFailed(`Artifact not found: ${name}`);
  } else {
    const prefix = pattern.replace(/\*$/, '');
    chosen = artifacts.filter((a) => (pattern ? a.name.startsWith(prefix) : true));
  }
  for (const a of chosen) {
    const into = name || merge ? dest : path.join(dest, a.name);
    await client.downloadArtifact(a.id, { path: into });
    core.info(`downloaded ${a.name} into ${into}`);
  }
  core.setOutput('download-path', dest);
}

main().catch((err) => core.setFailed(err.message));
