/**
 * The permission sequence of programs.test.ts: SETUP (run as root) makes the same small tree in a
 * base dir on ext4 and on the mount — a 0755 root dir with a file, a 1777 sticky dir holding
 * another uid's 0666 file, a 0700 dir, a setgid dir of group 5678, another uid's 0600, 0644 and 0666
 * files; STEPS (run as uid/gid 65534 without groups through setpriv) tries what a local user would
 * and prints one line per step: `name<TAB>exit code<TAB>output`, the base path shown as "B" and
 * newlines as "|", so both runs can be compared line by line (exit codes and errno texts).
 */
export const NOBODY = 65534;

export const SETUP = String.raw`set -e
B=$1
mkdir -m 0755 "$B/rootdir"; echo r > "$B/rootdir/file"
mkdir -m 1777 "$B/sticky"; mkdir -m 0700 "$B/private"; mkdir -m 0777 "$B/open"
mkdir "$B/sgid"; chgrp 5678 "$B/sgid"; chmod 2777 "$B/sgid"
echo secret > "$B/secret"; chown 1234:1234 "$B/secret"; chmod 0600 "$B/secret"
echo other > "$B/others"; chown 1234:1234 "$B/others"; chmod 0644 "$B/others"
echo w > "$B/otherw"; chown 1234:1234 "$B/otherw"; chmod 0666 "$B/otherw"
echo shared > "$B/sticky/others"; chown 1234:1234 "$B/sticky/others"; chmod 0666 "$B/sticky/others"
`;

export const STEPS = String.raw`B=$1
step() { local name=$1; shift; local out; out=$("$@" 2>&1); local rc=$?; out=${'$'}{out//"$B"/B}; printf '%s\t%s\t%s\n' "$name" "$rc" "$(printf '%s' "$out" | tr '\n' '|')"; }
step whoami sh -c 'echo $(id -u):$(id -g):$(id -G)'
step create-in-0755-root-dir touch "$B/rootdir/f"
step mkdir-in-0755-root-dir mkdir "$B/rootdir/d"
step unlink-in-0755-root-dir rm -f "$B/rootdir/file"
step rmdir-root-dir rmdir "$B/rootdir"
step list-0700-dir ls "$B/private"
step cd-0700-dir sh -c "cd '$B/private'"
step create-in-1777-dir sh -c "echo mine > '$B/sticky/mine'"
step owner-of-create stat -c '%u %g %a' "$B/sticky/mine"
step append-own sh -c "echo more >> '$B/sticky/mine'"
step read-own cat "$B/sticky/mine"
step rm-other-in-sticky rm -f "$B/sticky/others"
step mv-other-in-sticky mv "$B/sticky/others" "$B/sticky/x"
step append-other-0666 sh -c "echo hi >> '$B/sticky/others'"
step read-other-0600 cat "$B/secret"
step append-other-0644 sh -c "echo x >> '$B/others'"
step truncate-other-0644 truncate -s 0 "$B/others"
step chmod-other chmod 777 "$B/others"
step chown-other-to-self chown 65534 "$B/others"
step chown-own-to-root chown 0 "$B/sticky/mine"
step chgrp-own-to-root chgrp 0 "$B/sticky/mine"
step chown-own-to-self chown 65534:65534 "$B/sticky/mine"
step utime-explicit-other-0666 touch -d '2001-01-01 00:00:00' "$B/otherw"
step utime-now-other-0666 touch "$B/otherw"
step utime-now-other-0644 touch "$B/others"
step utime-explicit-other-0644 touch -d '2001-01-01 00:00:00' "$B/others"
step utime-explicit-own touch -d '2001-02-03 04:05:06.5' "$B/sticky/mine"
step times-of-own stat -c '%x %y' "$B/sticky/mine"
step rename-own mv "$B/sticky/mine" "$B/sticky/mine2"
step rename-own-into-root-dir mv "$B/sticky/mine2" "$B/rootdir/mine2"
step rename-own-over-other-in-sticky sh -c "echo o > '$B/sticky/tmp' && mv '$B/sticky/tmp' '$B/sticky/others'"
step chmod-own-4755 chmod 4755 "$B/sticky/mine2"
step mode-after-chmod stat -c '%a' "$B/sticky/mine2"
step append-own-suid sh -c "echo z >> '$B/sticky/mine2'"
step mode-after-write stat -c '%a' "$B/sticky/mine2"
step chmod-own-4755-again chmod 4755 "$B/sticky/mine2"
step chown-own-suid-to-self chown 65534:65534 "$B/sticky/mine2"
step mode-after-chown stat -c '%a' "$B/sticky/mine2"
step hardlink-other-0600 ln "$B/secret" "$B/sticky/hl"
step hardlink-own ln "$B/sticky/mine2" "$B/sticky/mine3"
step nlink-of-new-link stat -c '%h' "$B/sticky/mine3"
step symlink-own ln -s mine2 "$B/sticky/sl"
step readlink-own readlink "$B/sticky/sl"
step mkfifo-own mkfifo "$B/sticky/ff"
step fifo-type stat -c '%F %u %g' "$B/sticky/ff"
step setxattr-own setfattr -n user.a -v 1 "$B/sticky/mine2"
step getxattr-own getfattr -n user.a --only-values "$B/sticky/mine2"
step setxattr-other-0644 setfattr -n user.a -v 1 "$B/others"
step setxattr-fifo setfattr -n user.a -v 1 "$B/sticky/ff"
step setxattr-trusted-own setfattr -n trusted.a -v 1 "$B/sticky/mine2"
step create-in-sgid-dir touch "$B/sgid/f"
step group-in-sgid-dir stat -c '%u %g' "$B/sgid/f"
step mkdir-in-sgid-dir mkdir "$B/sgid/d"
step sgid-subdir stat -c '%a %g' "$B/sgid/d"
step chmod-2755-foreign-group chmod 2755 "$B/sgid/f"
step mode-foreign-group stat -c '%a' "$B/sgid/f"
step mkdir-own mkdir "$B/open/d"
step chmod-own-dir-2775 chmod 2775 "$B/open/d"
step mode-own-dir stat -c '%a' "$B/open/d"
step rm-own-in-sticky rm "$B/sticky/mine3"
step rmdir-own rmdir "$B/open/d"
step rmdir-other-nonempty rmdir "$B/sgid"
`;

export interface Outcome {
  step: string;
  code: string;
  output: string;
}

export function parseOutcomes(out: string): Outcome[] {
  return out.split('\n').filter(Boolean).map((l) => {
    const [step = '', code = '', ...rest] = l.split('\t');
    return { step, code, output: rest.join('\t') };
  });
}
