#!/usr/bin/env bash
# pip-audit over requirements.lock. Exit 1 on a known vulnerability. When the
# advisory data cannot be reached or has nothing on a package (no internet, a
# mirror), say so plainly and name how many packages went unchecked: that is
# "not checked", never "no vulnerabilities".
set -uo pipefail
cd "$(dirname "$0")/.."
out=$("${PIP_AUDIT:-.venv/bin/pip-audit}" --requirement requirements.lock --require-hashes --disable-pip \
      --progress-spinner off 2>&1)
status=$?
echo "$out"
pinned=$(grep -cE '^[A-Za-z0-9._-]+==' requirements.lock)
unchecked=$(echo "$out" | grep -c "could not be audited")
if [ $status -ne 0 ]; then
    if echo "$out" | grep -qiE "connection|resolve|timed out|network|unreachable|HTTPSConnectionPool|Max retries"; then
        echo "pip-audit: NOT CHECKED: the advisory data could not be reached from this machine (see above)."
        exit 0
    fi
    echo "pip-audit: known vulnerabilities (or an error) above: update requirements.lock (make lock LOCK_ARGS=--upgrade-package NAME)."
    exit 1
fi
if [ "$unchecked" -ge "$pinned" ]; then
    echo "pip-audit: NOT CHECKED: none of the $pinned pinned packages could be looked up in the advisory data here."
elif [ "$unchecked" -gt 0 ]; then
    echo "pip-audit: PARTLY CHECKED: no known vulnerabilities, but $unchecked of $pinned packages could not be looked up."
else
    echo "pip-audit: no known vulnerabilities in the $pinned pinned packages."
fi
exit 0
