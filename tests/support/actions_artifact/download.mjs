// Download every artifact of this workflow run whose name starts with PREFIX into OUT/<name>,
// as actions/download-artifact does with `pattern: PREFIX*` and `path: OUT`: with the real
// @actions/artifact client, from ACTIONS_RESULTS_URL with ACTIONS_RUNTIME_TOKEN.
import { DefaultArtifactClient } from '@actions/artifact';
import path from 'node:path';

const [prefix, out] = process.argv.slice(2);
const client = new DefaultArtifactClient();
const { artifacts } = await client.listArtifacts();
const chosen = artifacts.filter((artifact) => artifact.name.startsWith(prefix));
for (const artifact of chosen) {
  const where = path.join(out, artifact.name);
  await client.downloadArtifact(artifact.id, { path: where });
  console.log(`downloaded ${artifact.name} (${artifact.size} bytes) to ${where}`);
}
