/**
 * The local cluster launcher: start controllers and chunkservers as processes, wait for health,
 * kill/restart them, partition them. Used by test/cluster, `redcloud cluster up` and bench/.
 */
export { startController, startChunkserver, LocalCluster, type NodeOptions } from './launcher.js';
export { NodeProcess, logTail, baseEnv, type NodeSpec, type NodeRole } from './node-process.js';
export { waitHealthy } from './health.js';
export { partition, blackhole, isolate, cleanupPartitions, cleanupStalePartitions, thisRunTag, type Partition } from './partition.js';
export {
  PARTITION_COMMENT, partitionRuleSpecs, blackholeRuleSpec, runTag, parseRunTag, deleteArgsForOwnRules, deleteArgsForStaleRules, untaggedRules, type RunOwner,
} from './partition-rules.js';
export { repoRoot, binPath } from './paths.js';
export { upLocalCluster, downLocalCluster, localClusterStatus, controllerAddr, chunkserverAddr, DEMO_USER, DEMO_PASSWORD, type UpOptions, type DownOptions } from './local.js';
export { readState, statePath, isOurProcess, type ClusterState, type StateNode } from './state.js';
export { selectDaemonEnv, parseEnvFlags, daemonVariables, LAUNCHER_OWNED, type DaemonSettings } from './daemon-env.js';
export { planIdentity, planAfterRefusedLogin, type IdentityPlan } from './identity.js';
export { resolveNodeName, controllerId, chunkserverId } from './node-names.js';
export { stopNode, startNode, restartNode } from './node-control.js';
export { foregroundVerdict } from './owner.js';
export { purgePlan, applyPurge } from './purge.js';
