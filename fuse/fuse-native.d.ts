/** Minimal types of fuse-native 2.2.6 (a CommonJS module without its own), as the driver uses it. */
declare module 'fuse-native' {
  class Fuse {
    constructor(mnt: string, ops: Record<string, unknown>, opts?: Record<string, unknown>);
    readonly mnt: string;
    readonly opts: Record<string, unknown>;
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    _fuseOptions(): string;
    static unmount(mnt: string, cb: (err: Error | null) => void): void;
    /** Added by scripts/fix-fuse-native.mjs: the caller of the request being dispatched (valid synchronously in the op). */
    static callerContext?: () => { uid: number; gid: number; pid: number; umask: number } | null;
    /** Added by scripts/fix-fuse-native.mjs: replies tell the kernel to keep no attributes of an inode with several names. */
    static linkedAttrsUncached?: boolean;
    /** Added by scripts/fix-fuse-native.mjs: open's fd with this bit set keeps the kernel's page cache (FOPEN_KEEP_CACHE). */
    static openKeepCacheBit?: number;
  }
  export = Fuse;
}
