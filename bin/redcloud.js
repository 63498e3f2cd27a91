#!/usr/bin/env node
// The redcloud CLI: runs the oclif commands compiled to dist/oclif-cli/commands. Node resolves
// symlinks (e.g. /usr/local/bin/redcloud) to this file, so oclif finds package.json at the repo
// root whatever the cwd.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
