// Preload for bench/write-path.ts (NODE_OPTIONS=--require …; node 20 refuses --cpu-prof there):
// profiles the whole process with the inspector and writes a .cpuprofile to CPU_PROF_DIR at exit.
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.start');
const write = () => {
  session.post('Profiler.stop', (err, res) => {
    if (!err) fs.writeFileSync(path.join(process.env.CPU_PROF_DIR, `prof-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
  });
};
process.once('exit', write);
// SIGUSR2 restarts the profile (bench/read-path.ts: the chunkservers' profile covers the reads only)
process.on('SIGUSR2', () => session.post('Profiler.stop', () => session.post('Profiler.start')));
