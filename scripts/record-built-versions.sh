#!/usr/bin/env bash
# Records R versions as built in data/built-r-versions.json on the default branch, for the scheduled rebuild
# (rebuild-on-r-release.yml). The build takes long and the branch moves meanwhile, so each attempt starts from the
# branch as it is now: fetch it, apply the change again with the release script, commit, push; a rejected push
# (someone pushed in between) is retried on the new tip. A branch protection that refuses the bot's pushes is not
# retried away: the last attempt's error says so.
#   VERSIONS='["4.5.2"]' BRANCH=main bash scripts/record-built-versions.sh
# Settings: ATTEMPTS (5), RETRY_DELAY (seconds, times the attempt number; 5).
set -euo pipefail

: "${VERSIONS:?VERSIONS: the JSON list of R versions to record}"
: "${BRANCH:?BRANCH: the branch to record them on (the default branch)}"
file=data/built-r-versions.json
attempts=${ATTEMPTS:-5}
delay=${RETRY_DELAY:-5}

git config user.name 'github-actions[bot]'
git config user.email '41898282+github-actions[bot]@users.noreply.github.com'

for attempt in $(seq 1 "$attempts"); do
  git fetch --quiet origin "refs/heads/$BRANCH"
  git reset --quiet --hard FETCH_HEAD
  node dist/release/index.js record --versions "$VERSIONS" > /dev/null
  if git diff --quiet -- "$file"; then
    echo "$file on $BRANCH already lists $VERSIONS"
    exit 0
  fi
  git add "$file"
  git commit --quiet -m "Record R layers built: $VERSIONS"
  if git push --quiet origin "HEAD:refs/heads/$BRANCH"; then
    echo "recorded $VERSIONS in $file on $BRANCH (attempt $attempt)"
    exit 0
  fi
  echo "push to $BRANCH rejected (attempt $attempt of $attempts): fetching it again" >&2
  if [ "$attempt" -lt "$attempts" ]; then sleep $((attempt * delay)); fi
done
echo "::error::could not push $file to $BRANCH after $attempts attempts; if a branch protection rule refuses" \
  "github-actions[bot], allow it to push this file or record the versions by hand: $VERSIONS"
exit 1
