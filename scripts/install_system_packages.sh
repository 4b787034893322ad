#!/usr/bin/env bash
# Install the Debian packages a setup needs, each checked on its own, from scripts/system-packages.txt.
#
# Usage: scripts/install_system_packages.sh [--check] [EXTRAS [PACKAGE...]]
#   EXTRAS   comma-separated setup extras (as setup_env.sh takes them, e.g. test): only the packages
#            listed for one of them. Absent or "all": every package in the list.
#   PACKAGE  only these packages of those (a test asks for the ones it needs).
#   --check  install nothing: list each package as present or missing, and exit 1 if one is missing,
#            after a last line "missing: P...; install with: COMMAND". The readiness check of a machine:
#            bash scripts/install_system_packages.sh --check test
#
# A package is present when its proof file is (never because another package is: chromium without
# chromium-driver is a missing chromium-driver). Missing ones are installed with one `apt-get update`
# and one `apt-get install` of just those, then checked again; when everything is present apt-get is
# not called at all. Without root or without apt-get nothing is installed: the exact command for the
# missing ones is printed, the setup goes on, and the tests that need them skip with that command (or
# fail with it under CI=true).
#
# For the setup's own tests (tests/project/test_setup_system_packages.py): EAGLE_EVAL_SYSTEM_ROOT is put in
# front of every proof path (default: nothing, i.e. /), EAGLE_EVAL_SYSTEM_PACKAGES replaces the list;
# apt-get and id are the ones on PATH.
set -euo pipefail
me=$(basename "$0")
list=${EAGLE_EVAL_SYSTEM_PACKAGES:-$(cd "$(dirname "$0")" && pwd)/system-packages.txt}
root=${EAGLE_EVAL_SYSTEM_ROOT:-}
check=0
if [[ ${1:-} == --check ]]; then check=1; shift; fi
if [[ ${1:-} == -* ]]; then
    echo "usage: $me [--check] [EXTRAS [PACKAGE...]]" >&2
    exit 2
fi
extras=${1:-all}
shift || true
only=("$@")

in_list() {  # in_list WORD COMMA-SEPARATED-LIST: is WORD one of them?
    local item
    local -a items
    IFS=, read -ra items <<<"$2"
    for item in "${items[@]}"; do [[ $item == "$1" ]] && return 0; done
    return 1
}

wanted() {  # wanted NAME EXTRAS-OF-ITS-LINE: asked for by EXTRAS and, if any are named, by PACKAGE?
    local extra asked=0
    local -a line_extras
    if [[ $extras != all ]]; then
        IFS=, read -ra line_extras <<<"$2"
        for extra in "${line_extras[@]}"; do in_list "$extra" "$extras" && asked=1; done
        [[ $asked -eq 1 ]] || return 1
    fi
    [[ ${#only[@]} -eq 0 ]] || in_list "$1" "$(IFS=,; echo "${only[*]}")"
}

names=() proofs=() whys=()
while read -r name proof extra why || [[ -n ${name:-} ]]; do
    [[ -z $name || $name == \#* ]] && continue
    wanted "$name" "$extra" || continue
    names+=("$name") proofs+=("$proof") whys+=("$why")
done <"$list"
for asked in "${only[@]}"; do
    in_list "$asked" "$(IFS=,; echo "${names[*]}")" || { echo "$me: $asked is not listed for $extras in $list" >&2; exit 2; }
done

missing_now() {  # the packages whose proof file is not there, in list order
    missing=()
    local i
    for i in "${!names[@]}"; do
        [[ -e $root${proofs[i]} ]] || missing+=("${names[i]}")
    done
}
missing_now

if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo "; fi
install_command="${sudo}apt-get install -y ${missing[*]}"

if [[ $check -eq 1 ]]; then
    for i in "${!names[@]}"; do
        state=present
        [[ -e $root${proofs[i]} ]] || state=missing
        printf '%-8s %-16s %-24s %s\n' "$state" "${names[i]}" "${proofs[i]}" "${whys[i]}"
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        echo "missing: ${missing[*]}; install with: $install_command"
        exit 1
    fi
    exit 0
fi

[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ -z $sudo ]] && command -v apt-get >/dev/null; then
    started=$SECONDS
    asked=("${missing[@]}")
    echo "$me: installing ${asked[*]} with apt-get" >&2
    if ! apt-get update -qq; then
        echo "$me: apt-get update failed; install by hand with: apt-get update && $install_command" >&2
        exit 1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${asked[@]}" >/dev/null; then
        echo "$me: apt-get install failed; install by hand with: $install_command" >&2
        exit 1
    fi
    missing_now
    if [[ ${#missing[@]} -gt 0 ]]; then
        for i in "${!names[@]}"; do
            [[ -e $root${proofs[i]} ]] || echo "$me: apt-get installed ${names[i]}, but ${proofs[i]} is not there" >&2
        done
        exit 1
    fi
    echo "$me: installed ${asked[*]} in $((SECONDS - started)) s" >&2
    exit 0
fi

if [[ -n $sudo ]]; then why="not root"; else why="no apt-get"; fi
for i in "${!names[@]}"; do
    [[ -e $root${proofs[i]} ]] || echo "$me: missing ${names[i]} (${proofs[i]}): ${whys[i]}" >&2
done
echo "$me: $why, so nothing was installed; install with: $install_command" >&2
