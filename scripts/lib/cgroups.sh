# Shell helpers to run processes in cgroups of their own, on cgroup v2 or v1.
# Source this file; every function needs root.
#
#   cg_create GROUP        make the cgroup GROUP (e.g. cares-demo/a)
#   cg_join GROUP PID      move PID into GROUP
#   cg_remove GROUP        remove GROUP once no process is left in it

# The directories of GROUP: one on v2, one per controller (cpu, cpuacct, memory) on v1.
cg_dirs() {
  local group=$1 controller mount
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    echo "/sys/fs/cgroup/$group"
    return
  fi
  for controller in cpu cpuacct memory; do
    mount=$(awk -v c="$controller" '$3 == "cgroup" && index("," $4 ",", "," c ",") { print $2; exit }' /proc/mounts)
    [ -n "$mount" ] || { echo "cgroup v1 controller '$controller' is not mounted" >&2; return 1; }
    echo "$mount/$group"
  done | sort -u
}

cg_create() {
  local dir
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    # On v2 a child gets the cpu and memory controllers only when each parent hands them on.
    local parent=/sys/fs/cgroup part
    for part in $(dirname "$1" | tr / ' '); do
      [ "$part" = . ] && break
      echo "+cpu +memory" >"$parent/cgroup.subtree_control" 2>/dev/null || true
      parent="$parent/$part"
      mkdir -p "$parent"
    done
    echo "+cpu +memory" >"$parent/cgroup.subtree_control" 2>/dev/null || true
  fi
  for dir in $(cg_dirs "$1"); do mkdir -p "$dir"; done
}

cg_join() {
  local dir
  for dir in $(cg_dirs "$1"); do echo "$2" >"$dir/cgroup.procs"; done
}

cg_remove() {
  local dir
  for dir in $(cg_dirs "$1"); do
    [ -d "$dir" ] && rmdir "$dir" 2>/dev/null || true
  done
}
